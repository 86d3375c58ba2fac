"""Lesson 00's questions: two predictions in the lesson (00.p4, 00.p6) and the recap (00.q1-00.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

b_grad = Choice(
    "00.p4 what b.grad holds after backward",
    "backward() has run from out back to a. What does b.grad hold now (b = a + 3)?",
    {
        "a": ("tensor([15., 18.]): the gradient of out with respect to b",
              "backward does compute it on its way to a, yet it stores .grad only in leaves "
              "(and in tensors that asked for it with retain_grad)"),
        "b": ("None, and PyTorch warns when you read it",
              "b is not a leaf: its gradient flowed through it to a and was then dropped, to save memory"),
        "c": ("tensor([0., 0.]): a gradient of zeros",
              ".grad is never pre-filled with zeros; a tensor that keeps no gradient holds None"),
        "d": ("reading b.grad raises an error",
              "reading .grad of a non-leaf never raises; it warns and gives None"),
    },
    answer="b",
)

zero_grad_leaves = Choice(
    "00.p6 what zero_grad leaves in .grad",
    "The weight had a gradient. After opt.zero_grad(), what is model.weight.grad?",
    {
        "a": ("None",
              "zero_grad() sets .grad to None by default (set_to_none=True): no memory held, no kernel "
              "run, and the next backward starts fresh"),
        "b": ("a tensor of zeros with the weight's shape",
              "that was the default before PyTorch 2.0; zero_grad now uses set_to_none=True"),
        "c": ("the same gradient as before: zero_grad clears the optimizer's own copy",
              "the optimizer keeps no copy of the gradients; zero_grad clears the parameters' own .grad"),
    },
    answer="a",
)

recap = Recap("Recap: four questions on lesson 00", [
    Choice(
        "00.q1 two backward calls",
        "A loop calls loss.backward() twice, each time on a freshly built loss, with no zero_grad(). "
        "What is in w.grad after the second call?",
        {
            "a": ("the gradient of the second loss only",
                  "backward never replaces .grad: it adds to what is there"),
            "b": ("the sum of both gradients",
                  "backward adds into .grad, so the two gradients pile up until something clears them"),
            "c": ("the mean of both gradients",
                  "nothing divides: accumulation is a plain sum"),
            "d": ("an error: a second backward is not allowed",
                  "that error is for a second backward through the same graph; each loss here has a fresh graph"),
        },
        answer="b",
    ),
    Choice(
        "00.q2 a hidden activation without grad",
        "Inside a model, h = x @ W with W a parameter. After loss.backward(), h.grad is None and "
        "W.grad is filled. Why?",
        {
            "a": ("backward stopped before it reached h",
                  "it went through h: that is the only way to reach W, whose .grad is filled"),
            "b": ("h does not require grad",
                  "h is computed from W, which requires grad, so h requires grad too"),
            "c": ("h is not a leaf, so its gradient is not kept unless h.retain_grad() ran before backward",
                  "only leaves keep .grad; an intermediate keeps it only when asked before backward"),
            "d": ("zero_grad() cleared it",
                  "zero_grad clears the parameters the optimizer holds; h is not one of them"),
        },
        answer="c",
    ),
    Choice(
        "00.q3 a loss rebuilt from a number",
        "loss = torch.tensor(model(x).mean().item()); loss.backward() raises "
        "'element 0 of tensors does not require grad'. What broke the chain?",
        {
            "a": (".item() turned the loss into a Python number, and a tensor made from a number has no graph",
                  "the link from the loss back to the parameters is gone once the value leaves as a number"),
            "b": ("the model's parameters are frozen",
                  "nothing froze them: parameters of nn modules require grad by default"),
            "c": ("backward needs retain_graph=True",
                  "retain_graph is about a second backward through the same graph, not about a missing graph"),
            "d": ("mean() is not differentiable",
                  "mean records a MeanBackward0 node like any other operation"),
        },
        answer="a",
    ),
    Choice(
        "00.q4 the order of a training step",
        "Which order makes a correct training step?",
        {
            "a": ("forward, step, backward, zero_grad",
                  "step reads .grad, so it must come after backward"),
            "b": ("forward, backward, zero_grad, step",
                  "zero_grad between backward and step throws the fresh gradients away: step sees None and does nothing"),
            "c": ("zero_grad, forward, backward, step",
                  "clear old gradients, build the graph, fill .grad, then update"),
            "d": ("forward, backward, step, with no zero_grad because backward overwrites .grad",
                  "backward adds into .grad; without zero_grad every step uses the sum of all gradients so far"),
        },
        answer="c",
    ),
])
