import torch

from tauresnet.data import normalize, random_crop_flip
from tauresnet.data.augment import apply_crop_flip, draw_crop_flip


def test_crop_flip_moves_pixels_within_the_padding_and_is_seeded():
    images = torch.arange(2 * 1 * 6 * 6, dtype=torch.uint8).view(2, 1, 6, 6)
    out = random_crop_flip(images, padding=2, generator=torch.Generator().manual_seed(0))
    again = random_crop_flip(images, padding=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and out.dtype == torch.uint8 and torch.equal(out, again)
    for n in range(2):  # every output is a shifted (maybe mirrored) window of its own image or zero padding
        nonzero = set(out[n][out[n] > 0].tolist())
        assert nonzero <= set(images[n].flatten().tolist())


def test_without_padding_or_flip_it_is_the_identity():
    images = torch.randint(0, 255, (4, 3, 8, 8), dtype=torch.uint8)
    assert torch.equal(apply_crop_flip(images, 0, torch.zeros(4, 3, dtype=torch.long)), images)


def test_a_slice_of_the_draws_augments_a_slice_of_the_batch_exactly():
    # What data-parallel ranks rely on: draws made for the global batch, applied to a share.
    images = torch.randint(0, 255, (6, 3, 8, 8), dtype=torch.uint8)
    draws = draw_crop_flip(6, 2, torch.Generator().manual_seed(3))
    whole = apply_crop_flip(images, 2, draws)
    assert torch.equal(apply_crop_flip(images[2:5], 2, draws[2:5]), whole[2:5])
    assert torch.equal(whole, random_crop_flip(images, 2, torch.Generator().manual_seed(3)))


def test_normalize_matches_the_definition():
    images = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1)
    out = normalize(images, torch.tensor([0.5]), torch.tensor([0.25]))
    torch.testing.assert_close(out.flatten(), torch.tensor([-2.0, 2.0]))
