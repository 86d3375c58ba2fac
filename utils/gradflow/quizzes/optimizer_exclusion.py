"""Lesson 07's questions: three predictions in the lesson (07.p3, 07.p4, 07.p5) and the recap (07.q1-07.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

lr_zero_cost = Choice(
    "07.p3 what an lr=0 group costs",
    "model_1 sits in a group with lr=0 of SGD with momentum=0.9 and did not move in three steps. "
    "What does the optimizer hold for it?",
    {
        "a": ("nothing: a group with lr=0 is skipped",
              "step() skips a parameter only when its .grad is None; lr=0 only scales the update to zero"),
        "b": ("a momentum buffer the size of each of its parameters, like the other groups",
              "SGD builds its state for every parameter that has a gradient, before the lr scales anything"),
        "c": ("a momentum buffer only after lr becomes positive",
              "the buffer is built on the first step that sees a gradient, whatever the lr"),
        "d": ("a copy of its gradients",
              "the optimizer never copies .grad; momentum keeps a running buffer, which is state of its own"),
    },
    answer="b",
)

what_exclusion_saves = Choice(
    "07.p4 what leaving out saves",
    "One training step of SeedNet, with model_1 either left out of the optimizer or frozen with "
    "requires_grad_(False). Which of the three costs (.grad bytes, bytes saved for backward, backward FLOPs) "
    "does each reduce, compared with training everything?",
    {
        "a": ("leaving out saves none of the three; freezing saves all three",
              "forward and backward never look at the optimizer; only requires_grad decides what autograd "
              "computes and saves"),
        "b": ("leaving out saves the .grad bytes; freezing saves all three",
              "backward does not know what the optimizer holds: it still computes and stores model_1's .grad"),
        "c": ("both save all three",
              "the optimizer is only used in step(), after backward has already done its work"),
        "d": ("leaving out saves none; freezing saves only the .grad bytes",
              "a frozen first layer also lets autograd skip saving its input and two matrix products"),
    },
    answer="a",
)

frozen_with_momentum = Choice(
    "07.p5 does a frozen layer move",
    "SGD with momentum=0.9 over all parameters; after 5 of 20 steps, model_1.requires_grad_(False). "
    "The loop zeroes gradients with zero_grad() (set_to_none=True) in one run and "
    "zero_grad(set_to_none=False) in the other. Does model_1 move after step 5?",
    {
        "a": ("in neither run: requires_grad_(False) stops it",
              "requires_grad only stops new gradients; the optimizer still runs its update on a zero .grad"),
        "b": ("in both runs: the momentum buffer keeps pushing",
              "with set_to_none=True the .grad becomes None and stays None, and the optimizer skips the "
              "parameter, buffer and all"),
        "c": ("only with set_to_none=False: its .grad is a zero tensor and momentum keeps pushing",
              "a None .grad is skipped by every optimizer, a zero tensor is a gradient, and the momentum "
              "buffer still holds the earlier steps"),
        "d": ("only with set_to_none=True",
              "None is exactly the case every optimizer skips"),
    },
    answer="c",
)

recap = Recap("Recap: four questions on lesson 07", [
    Choice(
        "07.q1 a layer left out of the optimizer",
        "A layer is left out of the optimizer but still requires grad. The loop calls opt.zero_grad() every step. "
        "What happens to the layer's .grad?",
        {
            "a": ("it is never computed",
                  "backward computes a gradient for every leaf that requires grad; it does not know the optimizer"),
            "b": ("it is computed every step and keeps growing",
                  "opt.zero_grad() clears only the optimizer's own parameters, so each backward adds to the last"),
            "c": ("it is computed and cleared each step like the others",
                  "opt.zero_grad() walks the optimizer's groups; a parameter not in them is never cleared"),
            "d": ("backward raises an error",
                  "nothing fails: the waste and the growing .grad are silent"),
        },
        answer="b",
    ),
    Choice(
        "07.q2 a frozen layer in AdamW",
        "A layer is frozen with requires_grad_(False) after some training, but stays in AdamW, and the loop "
        "uses zero_grad(set_to_none=False). Does the layer move on later steps?",
        {
            "a": ("no: requires_grad=False stops every update",
                  "it stops new gradients only; the zero .grad left by zero_grad still goes through AdamW"),
            "b": ("only with SGD momentum, never with AdamW",
                  "AdamW is the worst case: state from earlier steps and a default weight_decay of 0.01"),
            "c": ("only if its learning rate is large",
                  "any lr > 0 moves it; the size of the step changes, not whether it happens"),
            "d": ("yes: its .grad is a zero tensor, and AdamW's moments and weight decay still move it",
                  "only a None .grad is skipped; set p.grad = None once, or take it out of the optimizer"),
        },
        answer="d",
    ),
    Choice(
        "07.q3 taking parameters out",
        "You take some parameters out of opt.param_groups with a list comprehension (by identity). "
        "What else must you do?",
        {
            "a": ("pop their state: opt.state.pop(p, None)",
                  "state for a parameter no group lists breaks state_dict(), and comes back if it is re-added"),
            "b": ("nothing: the optimizer forgets them",
                  "their state stays in opt.state, and opt.state_dict() then raises a KeyError"),
            "c": ("call opt.zero_grad()",
                  "zero_grad touches .grad, not the optimizer's state"),
            "d": ("set their learning rate to 0",
                  "a parameter has no learning rate of its own: lr belongs to a group"),
        },
        answer="a",
    ),
    Choice(
        "07.q4 a group with lr=0",
        "A group has lr=0 in Adam with weight_decay=0.01, and its parameters get zero gradients after some "
        "real steps. Do they move?",
        {
            "a": ("yes: weight decay moves them",
                  "the decay term goes through the same update, which is multiplied by lr"),
            "b": ("yes: Adam normalises the update, so its size is about 1",
                  "the normalised step is still multiplied by lr, and lr is 0"),
            "c": ("no: every update is multiplied by the learning rate",
                  "momentum, Adam's moments and weight decay all reach the parameter through lr times something"),
            "d": ("step() raises an error for lr=0",
                  "lr=0 is a valid setting; it is a cheap way to hold a group still"),
        },
        answer="c",
    ),
])
