import boto3

from app_a import util

s3 = boto3.client("s3")


def handler(event, context):
    util.put(s3)
