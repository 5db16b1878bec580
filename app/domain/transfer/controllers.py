from litestar import Controller


class TransferApi(Controller):
    path = "/api/export"


class TransferPages(Controller):
    path = "/import"
