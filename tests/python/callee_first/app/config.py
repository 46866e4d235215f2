import os


def load_config():
    return {"table": os.environ["ORDERS_TABLE"], "queue": "intake"}
