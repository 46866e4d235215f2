import os
from boto3 import client, resource

sqs = client("sqs", region_name="eu-west-1")
ddb = resource("dynamodb")


def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="x")
    ddb.Table("orders").get_item(Key={"id": event["id"]})
