"""Datasets: the embedded 8x8 digits, MNIST, Fashion-MNIST, CIFAR-10, ImageFolder."""

from .cifar import CIFAR10, read_cifar_binary
from .digits import load_digits
from .errors import DatasetFileError
from .folder import ImageFolder
from .mnist import MNIST, FashionMNIST, read_idx

__all__ = [
    "CIFAR10",
    "MNIST",
    "DatasetFileError",
    "FashionMNIST",
    "ImageFolder",
    "load_digits",
    "read_cifar_binary",
    "read_idx",
]
