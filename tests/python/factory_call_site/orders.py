from aws import make_client, table, forever

sns = make_client("sns")
orders = table("orders")
events = forever("events")


def handler(event, context):
    sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:orders", Message="x")
    orders.get_item(Key={"pk": "1"})
    events.put_events(Entries=[])
