import os

import boto3

s3 = boto3.client("s3")
ARCHIVE = os.environ["ARCHIVE_BUCKET"]


def handler(event, context):
    s3.copy_object(Bucket=ARCHIVE, Key="a/x", CopySource={"Bucket": "incoming", "Key": "in/x"})
    s3.copy_object(Bucket=ARCHIVE, Key="a/y", CopySource="incoming/in/y")
    s3.copy({"Bucket": "staging", "Key": "z"}, ARCHIVE, "a/z")
    topic = boto3.resource("sns").Topic("arn:aws:sns:eu-west-1:123456789012:copied")
    topic.publish(Message="copied")
