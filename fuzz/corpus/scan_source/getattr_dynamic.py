import boto3

ec2 = boto3.client("ec2")
s3 = boto3.client("s3")


def handler(event, context):
    op = getattr(ec2, event["operation"])
    op()
    getattr(s3, "head_bucket")(Bucket="reports")
