"""Real networks from Debian's python3-torchvision 0.14, sized for 10 classes
and 3x32x32 images (CIFAR-10): what users export and bring to fgc.

build(name) returns (model, input shape without batch), with torchvision's
own initialisation; callers seed torch first (export.py uses seed 0), so the
exported file and a rebuilt model hold the same weights.
"""
import torchvision

NETS = ["resnet18", "mobilenet_v2"]


def build(name):
    if name == "resnet18":
        return torchvision.models.resnet18(num_classes=10), (3, 32, 32)
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(num_classes=10), (3, 32, 32)
    raise KeyError(name)
