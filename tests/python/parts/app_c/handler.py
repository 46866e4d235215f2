def handler(event, context):
    import notify

    notify.send("hello")
