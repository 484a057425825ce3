import logging
import os
from pathlib import Path

import pytest

from crypto import epochwrap
from crypto.errors import KeystoreError
from organise.keystore.keks import KekRing, file_system_type
from tests.keystore.conftest import SHM, place_kek


def test_keys_are_read_from_their_files_and_forgotten_when_removed(kek_dir):
    ring = KekRing(kek_dir)
    assert ring.get(1) is None
    kek = place_kek(kek_dir, 1)
    assert ring.get(1) == kek  # placed while running: found without a restart
    place_kek(kek_dir, 2)
    assert ring.held() == [1, 2]
    (kek_dir / "epoch-1.kek").unlink()
    assert ring.held() == [2]
    assert ring.get(1) is None


def test_destroy_removes_the_file_and_the_key_in_memory(kek_dir):
    ring = KekRing(kek_dir)
    place_kek(kek_dir, 1)
    assert ring.get(1) is not None
    assert ring.destroy(1)
    assert not (kek_dir / "epoch-1.kek").exists()
    assert ring.get(1) is None
    assert not ring.destroy(1)


@pytest.mark.parametrize("mode", [0o440, 0o404, 0o644])
def test_a_key_file_others_can_read_is_refused(kek_dir, mode):
    place_kek(kek_dir, 1)
    os.chmod(kek_dir / "epoch-1.kek", mode)
    with pytest.raises(KeystoreError, match="chmod 400"):
        KekRing(kek_dir).get(1)


@pytest.mark.parametrize(
    "content", ["", "zz" * 32, "ab" * 31, "ab" * 33, "ab" * 32 + "\n\n", " " + "ab" * 32]
)
def test_a_key_file_that_is_not_32_bytes_of_hex_is_refused(kek_dir, content):
    path = kek_dir / "epoch-1.kek"
    path.write_text(content)
    os.chmod(path, 0o600)
    with pytest.raises(KeystoreError, match="hexadecimal"):
        KekRing(kek_dir).get(1)


def test_a_symlinked_key_file_is_checked_where_it_leads(kek_dir):
    # Secret volumes (Kubernetes, for one) place keys as links to files beside them.
    kek = epochwrap.new_kek()
    target = kek_dir / "..data-epoch-1"
    target.write_text(kek.hex())
    os.chmod(target, 0o400)
    (kek_dir / "epoch-1.kek").symlink_to(target.name)
    assert KekRing(kek_dir).get(1) == kek
    os.chmod(target, 0o444)
    with pytest.raises(KeystoreError, match="chmod 400"):
        KekRing(kek_dir).get(1)


def test_files_that_are_not_epoch_keys_are_ignored(kek_dir):
    (kek_dir / "README").write_text("not a key")
    (kek_dir / "epoch-01.kek").write_text("ab" * 32)
    place_kek(kek_dir, 3)
    assert KekRing(kek_dir).held() == [3]


def test_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(KeystoreError, match="not a directory"):
        KekRing(tmp_path / "nowhere")


def test_a_directory_on_disk_is_a_loud_warning_not_a_refusal(tmp_path, caplog):
    directory = tmp_path / "keks"
    directory.mkdir()
    if file_system_type(directory) in {"tmpfs", "ramfs"}:
        pytest.skip("the temporary directory is itself on tmpfs here")
    with caplog.at_level(logging.ERROR, logger="organise.keystore"):
        ring = KekRing(directory)
    assert not ring.in_memory
    assert "NOT ON A MEMORY FILE SYSTEM" in caplog.text


def test_dev_shm_is_recognised_as_memory(kek_dir):
    if not str(kek_dir).startswith(f"{SHM}/"):
        pytest.skip("no /dev/shm here")
    assert KekRing(kek_dir).in_memory


def test_a_retired_key_the_process_cannot_remove_is_still_never_used_again(
    kek_dir, caplog, monkeypatch
):
    ring = KekRing(kek_dir)
    place_kek(kek_dir, 1)
    assert ring.get(1) is not None

    def refused(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")  # the secret manager's read-only folder

    monkeypatch.setattr(Path, "unlink", refused)
    assert ring.destroy(1)
    monkeypatch.undo()
    assert (kek_dir / "epoch-1.kek").exists()
    assert "secret manager must remove the file" in caplog.text
    assert ring.get(1) is None
    assert ring.held() == []
