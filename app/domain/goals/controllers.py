from litestar import Controller


class GoalsApi(Controller):
    path = "/api/goals"


class GoalsPages(Controller):
    path = "/goals"
