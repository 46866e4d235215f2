import boto3

from app.config import load_config

dynamodb = boto3.client("dynamodb")
sqs = boto3.resource("sqs")


def handler(event, context):
    cfg = load_config()
    dynamodb.put_item(TableName=cfg["table"], Item={"pk": {"S": event["id"]}})
    sqs.get_queue_by_name(QueueName=cfg["queue"]).send_message(MessageBody="x")
