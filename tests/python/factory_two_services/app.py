import boto3


def make(name):
    return boto3.client(name)


sqs = make("sqs")
s3 = make("s3")


def handler(event, context):
    sqs.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/q", MessageBody="x")
    s3.get_object(Bucket="b", Key="k")
