"""The toot CLI (from PyPI) against the live server: post, follow, read timelines, interact.

toot's own login prompts for a password on a terminal, so the test installs tokens made by
`manage.py create_token` into toot's config file, as a provisioning script would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.e2e

TOOT = Path(sys.executable).with_name("toot")


@pytest.fixture
def toot(live_server_url: str, provision, tmp_path: Path):
    instance = urlsplit(live_server_url).netloc
    app = provision.app("toot-test")
    users = {}
    for name in ("tootalice", "tootbob"):
        users[f"{name}@{instance}"] = {
            "instance": instance,
            "username": name,
            "access_token": provision.user(name),
        }
    config_dir = tmp_path / "toot"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(
        json.dumps(
            {
                "active_user": f"tootalice@{instance}",
                "apps": {
                    instance: {
                        "instance": instance,
                        "base_url": live_server_url,
                        "client_id": app["client_id"],
                        "client_secret": app["client_secret"],
                    }
                },
                "users": users,
            }
        )
    )

    def run(*args: str, as_user: str = "tootalice") -> str:
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "NO_COLOR": "1"}
        result = subprocess.run(
            [str(TOOT), "--as", f"{as_user}@{instance}", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    return run


def test_toot_posts_follows_and_reads_timelines(toot) -> None:
    assert "@tootalice" in toot("whoami")
    posted = toot(
        "post", "Hello from toot #tootcli", "--spoiler-text", "a warning", as_user="tootbob"
    )
    status_id = re.search(r"/@tootbob/(\d+)", posted).group(1)
    assert "now following" in toot("follow", "tootbob")
    toot("post", "only followers", "--visibility", "private", as_user="tootbob")

    home = json.loads(toot("timelines", "home", "--json"))
    by_id = {s["id"]: s for s in home}
    assert by_id[status_id]["spoiler_text"] == "a warning"
    assert any(s["visibility"] == "private" for s in home)

    tagged = json.loads(toot("timelines", "tag", "tootcli", "--json"))
    assert [s["id"] for s in tagged] == [status_id]

    assert "favourited" in toot("favourite", status_id)
    assert "reblogged" in toot("reblog", status_id)
    assert "bookmarked" in toot("bookmark", status_id)
    toot("post", "replying @tootbob", "--reply-to", status_id)
    notifications = toot("notifications", as_user="tootbob")
    for line in ("favourited your status", "boosted your status", "mentioned you", "now follows"):
        assert line in notifications
