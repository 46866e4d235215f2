import boto3

queue = boto3.resource("sqs").get_queue_by_name(QueueName="work")


def handler(event, context):
    queue.send_message(MessageBody="x")
    return queue.attributes["ApproximateNumberOfMessages"]
