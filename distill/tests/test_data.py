"""Torch-free: the UEA .ts reader used for BasicMotions."""
import numpy as np

from distill.data import read_ts


def test_read_ts(tmp_path):
    p = tmp_path / "x.ts"
    p.write_text("# comment\n@problemName X\n@dimensions 2\n@classLabel true A B\n@data\n"
                 "1,2,3:4,5,6:A\n-1,0.5,2:7,8,9:B\n")
    x, y = read_ts(str(p))
    assert x.shape == (2, 2, 3)
    np.testing.assert_array_equal(x[1], [[-1, 0.5, 2], [7, 8, 9]])
    assert y.tolist() == ["a", "b"]
