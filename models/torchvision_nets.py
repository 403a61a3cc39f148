"""Real networks from Debian's python3-torchvision 0.14, sized for 10 classes
and 3x32x32 images (CIFAR-10): what users export and bring to fgc. "vit" is a
small torchvision VisionTransformer (patch 4, 2 layers, width 64).

build(name) returns (model, input shape without batch), with torchvision's
own initialisation; callers seed torch first (export.py uses seed 0), so the
exported file and a rebuilt model hold the same weights.
"""
import torchvision

NETS = ["resnet18", "mobilenet_v2", "vit"]


def build(name):
    if name == "resnet18":
        return torchvision.models.resnet18(num_classes=10), (3, 32, 32)
    if name == "mobilenet_v2":
        return torchvision.models.mobilenet_v2(num_classes=10), (3, 32, 32)
    if name == "vit":
        # A small vision transformer: 8x8 patches of 4x4 pixels, 2 encoder
        # layers of width 64 with 4 heads.
        vit = torchvision.models.VisionTransformer(
            image_size=32, patch_size=4, num_layers=2, num_heads=4,
            hidden_dim=64, mlp_dim=128, num_classes=10)
        # torchvision zeroes the classifier, which makes every logit and
        # every derivative through the head zero at initialisation: use
        # nn.Linear's own initialisation so outputs and comparisons mean
        # something.
        vit.heads.head.reset_parameters()
        return vit, (3, 32, 32)
    raise KeyError(name)
