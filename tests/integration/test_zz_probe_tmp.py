def test_two_clients(make_user, anon_client):
    a = make_user(); b = make_user()
    for i in range(5):
        assert a.api("GET", "/api/me").status_code == 200
        assert b.client.get("/").status_code == 200
        assert anon_client.get("/api/me").status_code == 401
        r = a.api("POST", "/api/projects", json={"name": f"p{i}"})
        assert r.status_code == 201, r.text
        r = b.client.post("/api/projects", json={"name": f"p{i}"}, headers=b.csrf)
        assert r.status_code == 201, r.text
