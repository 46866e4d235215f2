import boto3

s3 = boto3.resource("s3")
table = boto3.resource("dynamodb").Table("orders")


def handler(event, context):
    # A resource's own client, as boto3's docs use it for transfers.
    s3.meta.client.upload_file("/tmp/report.csv", "reports", "daily/report.csv")
    table.meta.client.describe_table(TableName="orders")
