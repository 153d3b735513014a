"""check_grads.py CASE -- recomputes a case written by tests/test_train_net.c in
PyTorch (float64) and prints, one per line:
    loss <torch loss> <C loss>
    grad <tensor name> <max |C - torch| / max |torch|>
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_ref  # noqa: E402


def main():
    c, params, batch, closs, cgrads, prefix = llama_ref.read_case(sys.argv[1], True)
    flat = torch.tensor(params.astype(np.float64), requires_grad=True)
    inputs, targets, weights, pos, kstart = (torch.from_numpy(a.astype(np.int64)) for a in
                                             (batch[0], batch[1], batch[2] * 0, batch[3], batch[4]))
    weights = torch.from_numpy(batch[2].astype(np.float64))
    if prefix is not None:
        prefix = tuple(torch.from_numpy(a.astype(np.int64)) for a in prefix)
    loss = llama_ref.forward_loss(c, flat, inputs, targets, weights, pos, kstart, prefix)
    loss.backward()
    print("loss %.9g %.9g" % (loss.item(), closs))
    g = flat.grad.numpy()
    off = 0
    for name, shape in llama_ref.tensor_shapes(c):
        n = int(np.prod(shape))
        ref = g[off:off + n]
        got = cgrads[off:off + n].astype(np.float64)
        scale = max(np.abs(ref).max(), 1e-8)
        print("grad %s %.3e" % (name, np.abs(got - ref).max() / scale))
        off += n


if __name__ == "__main__":
    main()
