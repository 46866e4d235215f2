import boto3

sns = boto3.resource("sns")


def handler(event, context):
    sns.Topic("arn:aws:sns:eu-west-1:123456789012:ready").publish(Message="done")
    bucket = boto3.resource("s3").Bucket("media")
    for obj in bucket.objects.filter(Prefix="in/"):
        bucket.Object(obj.key).get()
