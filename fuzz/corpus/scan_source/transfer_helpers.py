import os
import boto3

s3 = boto3.client("s3")
BUCKET = os.environ["OUT_BUCKET"]


def handler(event, context):
    s3.download_file(event["bucket"], event["key"], "/tmp/in")
    s3.upload_file("/tmp/out", BUCKET, "web/" + event["name"])
    s3.copy_object(Bucket=BUCKET, Key="archive/x", CopySource={"Bucket": "src-bucket", "Key": "in/x"})
    return s3.generate_presigned_url("get_object", Params={"Bucket": BUCKET, "Key": "web/index.html"})
