"""Markers: saved read positions in the home and notifications timelines."""

from __future__ import annotations

URL = "/api/v1/markers"


def test_no_markers_yet(alice, client_for):
    client = client_for(alice)

    assert client.get(URL, {"timeline[]": ["home", "notifications"]}).json() == {}
    assert client.get(URL).json() == {}


def test_save_and_read_markers_with_versions(alice, client_for):
    client = client_for(alice)

    saved = client.post(URL, {"home[last_read_id]": "103194548672408537"}).json()
    assert list(saved) == ["home"]
    assert saved["home"]["last_read_id"] == "103194548672408537"
    assert saved["home"]["version"] == 0
    assert saved["home"]["updated_at"].endswith("Z")

    again = client.post(
        URL,
        {"home": {"last_read_id": "103194548672408600"}, "notifications": {"last_read_id": "35"}},
        format="json",
    ).json()
    assert again["home"]["version"] == 1
    assert again["home"]["last_read_id"] == "103194548672408600"
    assert again["notifications"] == {**again["notifications"], "last_read_id": "35", "version": 0}

    both = client.get(URL, {"timeline[]": ["home", "notifications"]}).json()
    assert set(both) == {"home", "notifications"}
    only_home = client.get(URL, {"timeline[]": ["home"]}).json()
    assert set(only_home) == {"home"}


def test_markers_are_per_account(alice, bob, client_for):
    client_for(alice).post(URL, {"home[last_read_id]": "5"})

    assert client_for(bob).get(URL, {"timeline[]": ["home"]}).json() == {}


def test_invalid_last_read_id(alice, client_for):
    response = client_for(alice).post(URL, {"home[last_read_id]": "abc"})

    assert response.status_code == 422


def test_marker_scopes(alice, client_for):
    assert client_for(alice, scopes="read:statuses").get(URL).status_code == 200
    assert client_for(alice, scopes="read:notifications").get(URL).status_code == 403
    reader = client_for(alice, scopes="read:statuses")
    assert reader.post(URL, {"home[last_read_id]": "1"}).status_code == 403
    writer = client_for(alice, scopes="write:statuses")
    assert writer.post(URL, {"home[last_read_id]": "1"}).status_code == 200
