import boto3 as b

s3 = b.client("s3")


def handler(event, context):
    return s3.get_object(Bucket="reports", Key="daily/" + event["day"])
