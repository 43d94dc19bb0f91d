"""The rules' tests use the analytics data set: a training set, a clean deployment and one deployment per fault; and
checkpoints whose features the training set has under another name, or does not have (`tests/rules/checkpoints.py`)."""

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
from tests.rules.checkpoints import foreign_checkpoint, renamed_checkpoint  # noqa: F401
