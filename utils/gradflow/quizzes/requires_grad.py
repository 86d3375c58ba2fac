"""Lesson 02's questions: the multiple-choice predictions (02.p6-02.p8, 02.p10, 02.p13, 02.p14) and the recap.

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

head_accuracy = Choice(
    "02.p6 a new head on frozen features",
    "The feature extractor trained on task A is frozen; a fresh head is trained for 100 steps on 30 labelled "
    "examples of task B (3 categories). What held-out accuracy does it reach?",
    {
        "a": ("above 90%: the frozen features already separate the clusters, the head only learns to group them",
              "only 51 parameters train, and they only have to map well separated features to 3 labels"),
        "b": ("near chance (about 1/3): frozen features trained for task A cannot serve task B",
              "task B groups the same clusters, and the frozen features already separate them"),
        "c": ("no better than the random head: with the backbone frozen, nothing that matters can train",
              "the head is trainable, and a linear head on good features is all the task needs"),
        "d": ("about 60%: 30 examples are far too few to learn anything",
              "30 examples are few for a whole network, but plenty for 51 parameters on good features"),
    },
    answer="a",
)

frozen_batchnorm = Choice(
    "02.p7 what moves in a frozen BatchNorm backbone",
    "The backbone (Linear, BatchNorm1d, ReLU) is frozen with requires_grad_(False), the optimizer holds only "
    "the head, and 5 steps run in train() mode. What does the tracker report for the backbone?",
    {
        "a": ("nothing changed: frozen means frozen",
              "requires_grad covers parameters only; BatchNorm's running statistics are buffers"),
        "b": ("its parameters stayed put, but BatchNorm's running statistics changed",
              "in train() mode every forward pass updates the running mean and variance, frozen or not"),
        "c": ("its parameters changed too, because gradients flow through it",
              "gradients are not computed for frozen parameters, and the optimizer does not hold them"),
        "d": ("only the BatchNorm weight and bias changed, as BatchNorm trains itself",
              "BatchNorm's weight and bias are parameters like any other: frozen, they stay put"),
    },
    answer="b",
)

memory_ranking = Choice(
    "02.p8 which freeze saves activation memory",
    "A ReLU network with four linear layers. Rank the bytes autograd saves for backward: nothing frozen, "
    "the first two linear layers frozen, the third linear layer frozen.",
    {
        "a": ("nothing frozen > third frozen > first two frozen: every frozen layer saves something",
              "the frozen middle layer needs no input of its own, but the ReLU in front of it saves that same tensor"),
        "b": ("first two frozen = third frozen < nothing frozen: only the number of frozen tensors counts",
              "where matters: layers before a trainable one must keep their inputs for its backward"),
        "c": ("all three the same: freezing saves gradients, not activations",
              "with the first layers frozen, nothing before the third layer requires grad, so nothing is recorded there"),
        "d": ("nothing frozen = third frozen > first two frozen",
              "only a frozen prefix stops the recording; backward still passes through a frozen middle layer"),
    },
    answer="d",
)

frozen_with_momentum = Choice(
    "02.p10 a frozen weight in an optimizer with momentum",
    "One training step (SGD with momentum), then the weight is frozen. Case A clears gradients with zero_grad() "
    "(to None), case B with zero_grad(set_to_none=False) (to zeros). Does the frozen weight move on the next step?",
    {
        "a": ("in neither case: a frozen weight never moves",
              "an optimizer updates every parameter whose .grad is a tensor, zero or not, and momentum still pushes"),
        "b": ("in both cases, because the momentum buffer is still there",
              "with .grad None the optimizer skips the parameter, buffer and all"),
        "c": ("not in case A; in case B it moves",
              "a None .grad is skipped; a zero .grad is stepped, and the momentum from the first step pushes it"),
        "d": ("in case A; not in case B",
              "it is the other way round: None is skipped, zeros are not"),
    },
    answer="c",
)

switch_on_non_leaf = Choice(
    "02.p13 switching requires_grad on for a non-leaf",
    "hidden = w * 2 already requires grad. What do hidden.requires_grad_(True) and hidden.requires_grad = True do?",
    {
        "a": ("both silently do nothing",
              "the attribute form checks for a leaf first, whatever the value"),
        "b": ("both raise the leaf error",
              "the method has nothing to change when the flag is already True, so it returns without a check"),
        "c": ("the method silently does nothing; the attribute raises the leaf error",
              "requires_grad_(True) on a tensor that already requires grad is a no-op; the attribute always checks"),
        "d": ("the method raises; the attribute silently does nothing",
              "it is the other way round: the attribute is the strict one"),
    },
    answer="c",
)

scaled_weight_grad = Choice(
    "02.p14 the grad of a scaled weight",
    "w = torch.randn(3, requires_grad=True) * 0.01, then (w * 2).sum().backward(). What is w.grad?",
    {
        "a": ("the gradient, as usual",
              "w is the result of * 0.01, not the tensor made with requires_grad=True"),
        "b": ("None, with a warning: w is the result of * 0.01, not a leaf",
              "the leaf is the unnamed randn tensor; w is an intermediate, and intermediates keep no .grad"),
        "c": ("an error at backward",
              "backward runs fine: it fills the .grad of the unnamed leaf you can no longer reach"),
    },
    answer="b",
)

recap = Recap("Recap: four questions on lesson 02", [
    Choice(
        "02.q1 the attribute on a module",
        "You write model.backbone.requires_grad = False and train. What happens to the backbone?",
        {
            "a": ("it keeps training: the line only created an attribute on the module",
                  "modules have no requires_grad flag; only the method requires_grad_ walks the parameters"),
            "b": ("it is frozen, like with requires_grad_(False)",
                  "on a module the attribute is a plain Python attribute; no parameter sees it"),
            "c": ("an error: modules have no requires_grad",
                  "Python lets you set any attribute on an object, so nothing complains"),
        },
        answer="a",
    ),
    Choice(
        "02.q2 a frozen layer in the middle",
        "In lin0 -> lin1 -> lin2, lin1 is frozen with requires_grad_(False). Which layers get a .grad from backward?",
        {
            "a": ("lin2 only: nothing passes a frozen layer",
                  "that is what a detach does; a frozen layer still passes gradients through to lin0"),
            "b": ("lin0 and lin2",
                  "lin1 gets no gradient of its own, but its weight is used as a value to send the gradient on to lin0"),
            "c": ("all three: freezing only stops the optimizer",
                  "a tensor with requires_grad=False never gets a .grad"),
        },
        answer="b",
    ),
    Choice(
        "02.q3 a frozen backbone and model.train()",
        "A frozen backbone with BatchNorm; the training loop calls model.train() at the start of every epoch, and "
        "backbone.eval() was called once before the loop. Do the backbone's running statistics change?",
        {
            "a": ("no: the backbone is frozen",
                  "running statistics are buffers, which requires_grad does not touch"),
            "b": ("no: backbone.eval() was called",
                  "model.train() sets every submodule back to training mode, the backbone included"),
            "c": ("yes: model.train() undoes backbone.eval(); call backbone.eval() after every model.train()",
                  "train() and eval() set the mode of every submodule, so the order of the calls decides"),
        },
        answer="c",
    ),
    Choice(
        "02.q4 which parameters an optimizer should get",
        "Fine-tuning only a head with AdamW (weight decay 0.01). Which parameters should the optimizer get?",
        {
            "a": ("model.parameters(): frozen ones are skipped anyway",
                  "they are skipped only while their .grad is None; a zero .grad (or old state) lets decay and "
                  "momentum move them"),
            "b": ("it does not matter, since frozen parameters get no gradient",
                  "weight decay acts on the weight itself, whatever the gradient"),
            "c": ("only the trainable ones, for example model.head.parameters()",
                  "what the optimizer never holds, it can never move"),
        },
        answer="c",
    ),
])
