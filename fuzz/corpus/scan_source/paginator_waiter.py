import boto3

s3 = boto3.client("s3")


def handler(event, context):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket="logs", Prefix="a/")
    for page in pages:
        pass
    s3.get_waiter("object_exists").wait(Bucket="logs", Key="a/done")
