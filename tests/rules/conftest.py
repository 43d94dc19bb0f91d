"""The rules' tests use the analytics data set: a training set, a clean deployment and one deployment per fault."""

from tests.analytics.conftest import (  # noqa: F401  (fixtures shared with tests/analytics)
    clean_dir,
    data_dir,
    fault_dirs,
    overtrained_checkpoint,
    profile,
    sane_checkpoint,
    train_run_dir,
    training_dir,
)
