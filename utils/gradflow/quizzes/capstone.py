"""Lesson 09's questions: two predictions in the lesson (09.p2, 09.p4) and the recap (09.q1-09.q4).

09.p1 and 09.p3 are lists of names, recorded with ``my_prediction`` and revealed with ``reveal``.
Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
The recap comes after the bug hunt, so it may name the hunt's causes.
"""

from ..predict import Choice, Recap

gan_samples = Choice(
    "09.p2 where the trained generator's samples land",
    "G starts with samples near 0; the real data is N(3, 0.5^2). After train_gan's 600 steps, "
    "where are G's samples, and how wide is their spread?",
    {
        "a": ("still near 0: the D step detaches the fake batch, so G never learns",
              "the detach cuts only the D loss off G; the G loss goes through a fresh D(fake) into G, "
              "and opt_G steps on that gradient"),
        "b": ("about halfway between 0 and 3: D and G pull equally hard and meet in the middle",
              "the two losses are not averaged: D learns to tell real from fake, and G follows D's gradient "
              "until D can no longer tell them apart, which happens on the data, not at a midpoint"),
        "c": ("near 3, with a spread of the same order as the data's",
              "G moves its samples wherever D says 'real', and D keeps moving that boundary until real and "
              "fake are hard to tell apart, in place and in width (600 steps match them only roughly)"),
        "d": ("exactly at the data's mean, with almost no spread: G learns the average sample",
              "nothing in the G loss pulls towards the mean: a narrow spike is easy for D to spot, and D's "
              "gradient then pushes G's samples apart (GANs can collapse, but this one does not here)"),
    },
    answer="c",
)

freezing_bytes = Choice(
    "09.p4 what freezing a layer saves",
    "With nothing frozen, the loss's graph holds some bytes for backward. Now freeze lin2 (in the middle), "
    "or instead lin0 (the first layer). What happens to the bytes held?",
    {
        "a": ("each one saves its own layer's share: a frozen layer keeps nothing for backward",
              "a frozen layer in the middle still passes the gradient on to the trainable layers before it; "
              "and its input is kept anyway, by the ReLU in front of it"),
        "b": ("nothing changes either way: requires_grad only decides what the optimizer moves",
              "autograd reads requires_grad during the forward pass and saves only what some gradient needs: "
              "nothing needs lin0's input once lin0 is frozen"),
        "c": ("freezing lin2 saves nothing; freezing lin0 saves the input batch",
              "lin2's input is still needed (the gradient flows through lin2 to lin0 and lin1, and the ReLU "
              "before it saves the same tensor); lin0's input is the data, needed only for lin0's own weight "
              "gradient"),
        "d": ("freezing lin0 saves almost nothing, freezing lin2 saves everything before it",
              "freezing is not detaching: the gradient still flows through a frozen layer to whatever before it "
              "requires grad, so nothing before lin2 is cut"),
    },
    answer="c",
)

recap = Recap("Recap: four questions on lesson 09", [
    Choice(
        "09.q1 what keeps D still in the G step",
        "In the G step, bce(D(fake), 1).backward() also fills D's .grad. What keeps D from moving?",
        {
            "a": ("the detach() in the D step",
                  "that detach cut the D loss off G; the G loss still flows through D, which is why D's .grad fills"),
            "b": ("only opt_G.step() runs, and the next D step starts with opt_D.zero_grad()",
                  "an optimizer moves only the tensors it holds; D's stray .grad is cleared before it is used"),
            "c": ("backward skips D because D has already been stepped",
                  "backward follows the graph, whatever has been stepped: the gradient reaches G only through D"),
            "d": ("D's gradient is zero because the G loss's label is 1",
                  "the label changes the gradient's sign and size, it does not make it zero"),
        },
        answer="b",
    ),
    Choice(
        "09.q2 unfreezing with a head-only optimizer",
        "An optimizer was built over the head while the backbone was frozen. Later the code calls "
        "backbone.requires_grad_(True) and keeps training. What happens to the backbone?",
        {
            "a": ("it trains at the head's learning rate",
                  "an optimizer holds the tensors it was given when it was built (or by add_param_group); it "
                  "never looks for new ones"),
            "b": ("requires_grad_(True) raises, because the optimizer was built without it",
                  "nothing connects the two: the flag is the tensor's, the optimizer never checks it"),
            "c": ("it gets no gradient until the optimizer is rebuilt",
                  "gradients come from backward and requires_grad, not from the optimizer: .grad fills at once"),
            "d": ("it gets gradients but never moves: no optimizer holds it",
                  "requires_grad_(True) lets the gradient reach it, and only add_param_group (or another "
                  "optimizer) steps it"),
        },
        answer="d",
    ),
    Choice(
        "09.q3 a snapshot made with detach",
        "Before training: snapshot = {n: p.detach() for n, p in model.named_parameters()}. After a few "
        "optimizer steps, what does snapshot hold?",
        {
            "a": ("the current weights: the optimizer updated the storage the snapshot shares",
                  "detach() shares storage with the parameter and opt.step() updates it in place; "
                  "detach().clone() is a real copy"),
            "b": ("the weights as they were before training",
                  "detach() makes no copy: it is a new tensor over the same storage, without the graph"),
            "c": ("an error on the first step: the optimizer refuses to update a tensor that has a detached view",
                  "no graph saved the snapshot, so nothing checks an in-place update of the storage it shares"),
        },
        answer="a",
    ),
    Choice(
        "09.q4 a frozen layer under AdamW",
        "Mid-training a layer gets requires_grad_(False). The loop uses AdamW with weight decay and calls "
        "opt.zero_grad(set_to_none=False). Does the layer still move?",
        {
            "a": ("no: requires_grad=False stops every update",
                  "requires_grad stops new gradients; the optimizer still steps every tensor it holds whose "
                  ".grad is not None"),
            "b": ("no: its gradient is zero, so its step is zero",
                  "Adam's step comes from its running moments, not from this step's gradient alone, and weight "
                  "decay shrinks the weight whatever the gradient"),
            "c": ("yes: its .grad is a zero tensor, not None, so AdamW keeps stepping it (momentum and decay)",
                  "with set_to_none=True (the default) its .grad would be None and AdamW would skip it"),
            "d": ("only if its output is still part of the loss",
                  "the loss decides its gradient, which is zero either way; what moves it is the optimizer "
                  "stepping a .grad that is not None"),
        },
        answer="c",
    ),
])
