"""Fixture for tests/diff.rs: one S3 read and one DynamoDB read, literal names."""
import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table("orders")


def handler(event, context):
    report = s3.get_object(Bucket="reports-bucket", Key="daily.csv")
    item = table.get_item(Key={"id": event["id"]})
    return {"report": report["Body"].read(), "item": item.get("Item")}
