"""The app's upload paths (issues 17 and 19), headless with Streamlit's AppTest.

An uploaded recipe is resolved on the server: its ``materials_library`` may only name a shipped
library or one uploaded with it. A bad upload after a good one shows its error and keeps the good
one; a file of another kind gets one message saying what it is; a typo in the free-field box is
the edit's, not the file's.
"""

from __future__ import annotations

import pytest

from test_app import RECIPE, ROOT, click, errors, metrics, start

pytest.importorskip("streamlit.testing.v1")

GOOD = RECIPE.read_text(encoding="utf-8").replace('revision: "A"', 'revision: "B"', 1)
LINE = ROOT / "recipes" / "lines" / "pilot-line.yaml"


def upload(at, key: str, name: str, data: bytes):
    return at.file_uploader(key=key).set_value((name, data, "application/x-yaml")).run()


def sidebar_text(at) -> str:
    return "\n".join(m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("library", ["/dev/zero", "/etc/hostname", "../recipes/materials.yaml",
                                     str(ROOT / "recipes" / "materials.yaml"), "no-such.yaml", "[1, 2]"])
def test_an_uploaded_recipe_may_not_name_a_server_file(library):
    at = start()
    text = GOOD.replace("materials_library: materials.yaml", f"materials_library: {library}")
    upload(at, "recipe_upload", "evil.yaml", text.encode())
    assert not at.exception
    msgs = errors(at)
    assert any("materials_library" in m and "may use" in m and "materials.yaml" in m for m in msgs), msgs
    assert metrics(at)["Revision"] == "A"  # the shipped recipe stays active


def test_an_uploaded_recipe_may_use_the_shipped_library_or_an_uploaded_one():
    at = start()
    upload(at, "recipe_upload", "shipped-lib.yaml", GOOD.replace("materials_library: materials.yaml",
                                                                 "materials_library: ./materials.yaml").encode())
    assert not errors(at) and metrics(at)["Revision"] == "B"
    lib = (ROOT / "recipes" / "materials.yaml").read_text(encoding="utf-8")
    lib = lib.replace("name: Indium metal", "name: Indium metal (our supplier)", 1)
    upload(at, "materials_upload", "our-lib.yaml", lib.encode())
    assert not errors(at), errors(at)
    text = GOOD.replace("materials_library: materials.yaml", "materials_library: our-lib.yaml")
    upload(at, "recipe_upload", "own.yaml", text.replace('revision: "B"', 'revision: "C"').encode())
    assert not errors(at), errors(at)
    assert metrics(at)["Revision"] == "C"
    assert "Indium metal (our supplier)" in at.session_state["recipe_choice"]["library"][1].decode()


def test_a_bad_materials_upload_is_shown_and_not_used():
    at = start()
    upload(at, "materials_upload", "lib.yaml", (ROOT / "recipes" / "lines" / "pilot-line.yaml").read_bytes())
    assert any("not a materials library" in m or "not loaded" in m for m in errors(at)), errors(at)
    assert "materials_upload_choice" not in at.session_state


def test_a_bad_upload_after_a_good_one_shows_its_error_and_keeps_the_good_one():
    at = start()
    upload(at, "recipe_upload", "good.yaml", GOOD.encode())
    assert metrics(at)["Revision"] == "B" and not errors(at)
    for name, data, expected in [("bad.yaml", b"cell: [1, 2\n", "not valid YAML"),
                                 ("bin.yaml", b"\x00\x01", "binary"),
                                 ("dup.yaml", GOOD.replace("title:", "title: x\ntitle:", 1).encode(), "appears twice")]:
        upload(at, "recipe_upload", name, data)
        assert not at.exception
        msgs = errors(at)
        assert any("was not loaded" in m for m in msgs) and any(expected in m for m in msgs), msgs
        assert metrics(at)["Revision"] == "B"  # still the good upload, as the banner says
        assert "good.yaml" in sidebar_text(at)
    at.switch_page("app_pages/cell.py").run()
    assert not at.exception and "good.yaml" in sidebar_text(at)


def test_an_active_upload_that_stops_loading_is_said_not_silently_replaced():
    at = start()
    upload(at, "recipe_upload", "good.yaml", GOOD.encode())
    # the upload's library disappears from the server's list (as a file changed on disk would)
    at.session_state["recipe_choice"] = {**at.session_state["recipe_choice"],
                                         "data": GOOD.replace("materials_library: materials.yaml",
                                                              "materials_library: gone.yaml").encode()}
    at.run()
    assert not at.exception
    assert any("good.yaml no longer loads" in w.value for w in at.warning), [w.value for w in at.warning]
    assert metrics(at)["Revision"] == "A"


def test_a_recipe_dropped_into_the_line_uploader_gets_one_message():
    at = start("line")
    upload(at, "line_upload", "my-recipe.yaml", RECIPE.read_bytes())
    assert not at.exception
    msgs = [m for m in errors(at) if "was not loaded" not in m]
    assert len(msgs) == 1 and "is a recipe, not a line file" in msgs[0], msgs


def test_a_line_dropped_into_the_recipe_uploader_gets_one_message():
    at = start()
    upload(at, "recipe_upload", "line.yaml", LINE.read_bytes())
    msgs = [m for m in errors(at) if "was not loaded" not in m]
    assert len(msgs) == 1 and "is a line file, not a recipe" in msgs[0], msgs


def test_a_typo_in_the_free_field_box_is_the_edits_not_the_files():
    at = start()
    at.text_area(key="rp_extra").set_value("steps.quench.contact_tme_s=10")
    click(at, "Apply edits")
    msgs = [m for m in errors(at) if "contact_tme_s" in m]
    assert msgs and all("your edits" in m and "insnbi-lco-pouch.yaml" not in m for m in msgs), msgs
    at.text_area(key="rp_extra").set_value("steps.quench.contact_time_s=.inf")
    click(at, "Apply edits")
    msgs = [m for m in errors(at) if "contact_time_s" in m]
    assert msgs and all("finite" in m and "your edits" in m for m in msgs), msgs
    assert metrics(at)["Edited parameters"] == "0"


def test_an_alias_bomb_upload_is_refused_quickly():
    import time

    bomb = "\n".join(["a0: &a0 [x, x, x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]"
                                              for i in range(1, 16)]).encode()
    at = start()
    t0 = time.perf_counter()
    upload(at, "recipe_upload", "bomb.yaml", bomb)
    assert time.perf_counter() - t0 < 30
    assert any("alias" in m for m in errors(at)), errors(at)
