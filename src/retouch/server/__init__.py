"""The web page and HTTP API of Retouch (``retouch serve``): a thin front end over the public API.

:func:`retouch.server.app.create_app` builds the FastAPI application;
:mod:`~retouch.server.storage` keeps images and history in the data directory;
:mod:`~retouch.server.jobs` runs long work off the request thread. FastAPI and
uvicorn are imported only when the server is used, so ``import retouch`` stays
fast.
"""
