"""The tiny GAN's reference steps (used by the lesson 01 and 09 checkers)."""

import torch

from gradflow import ParamTracker
from gradflow.gan import discriminator_step, generator_step, make_gan, noise, real_samples


def test_reference_gan_steps_each_move_only_their_own_network():
    G, D = make_gan(seed=0)
    opt_G, opt_D = torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1)
    fake = G(noise(8))
    tracker = ParamTracker({"G": G, "D": D})
    discriminator_step(D, opt_D, real_samples(8), fake)
    assert tracker.changed() and all(n.startswith("D.") for n in tracker.changed())
    assert all(p.grad is None for p in G.parameters())  # the detach kept D's loss out of G
    tracker.reset()
    generator_step(D, opt_G, fake)
    assert tracker.changed() and all(n.startswith("G.") for n in tracker.changed())
