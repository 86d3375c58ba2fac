"""Lesson 04's questions: the multiple-choice predictions (04.p1, 04.p2, 04.p4, 04.p7, 04.p8, 04.p9, 04.p10)
and the recap (04.q1-04.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

data_zero = Choice(
    "04.p1 an edit through .data before backward",
    "b.data.zero_() runs after the forward pass and before loss.backward(). What happens?",
    {
        "a": ("backward raises, because a tensor it needs was changed",
              "autograd notices an edit only through the version counter, and .data has a counter of its own"),
        "b": ("backward runs and a.grad is the right gradient: the edit came after the loss was computed",
              "backward does not recompute the forward pass: it reads the b that it saved, and that b now holds zeros"),
        "c": ("backward runs, silently, and a.grad is all zeros",
              "the gradient of b * b is 2 b, computed from the saved b, which .data.zero_() overwrote"),
        "d": ("backward runs and a.grad stays None: .data cut a off the graph",
              ".data gives a tensor outside the graph, but b itself and the path to a are untouched"),
    },
    answer="c",
)

detach_zero = Choice(
    "04.p2 the same edit through detach",
    "Now b.detach().zero_() runs after the forward pass and before loss.backward(). What happens?",
    {
        "a": ("the same silent zeros: detach() and .data are two names for one thing",
              "they share storage alike, but detach() also shares b's version counter, so the edit is seen"),
        "b": ("loss.backward() raises: a tensor it saved was modified in place",
              "b * b saved b at version 0; the edit through the detached view moved b's counter to 1"),
        "c": ("b.detach().zero_() itself raises: a detached tensor cannot be changed",
              "a detached tensor is an ordinary tensor; editing it is allowed, and backward checks later"),
        "d": ("the right gradient: detach() made a copy, so b was not touched",
              "detach() copies nothing: it shares b's memory, so b holds zeros too"),
    },
    answer="b",
)

shares_storage = Choice(
    "04.p4 which tensors share b's memory",
    "Do b.detach() and b.data point to the same memory as b?",
    {
        "a": ("both do",
              "both are tensors on b's storage without the graph; they differ only in the version counter"),
        "b": ("only b.detach(); b.data is a copy, which is why its version counter is separate",
              "b.data shares the storage too (the zeros of section 1 came through it); only the counter is new"),
        "c": ("only b.data; detach() copies the values out of the graph",
              "detach() copies nothing: it is a new tensor on the same storage"),
        "d": ("neither: both are copies without the graph",
              "a copy would never have changed b's values, and both edits above did"),
    },
    answer="a",
)

leaf_in_place = Choice(
    "04.p7 an in-place update of a parameter",
    "layer.weight -= 0.1 * layer.weight.grad, outside torch.no_grad(). What does PyTorch do?",
    {
        "a": ("it updates the weight, like any in-place operation",
              "the update would have to be recorded in the graph, and a leaf has nowhere to record it"),
        "b": ("it raises: a leaf that requires grad cannot be changed in place while recording",
              "an in-place operation on a leaf that requires grad is refused unless recording is off"),
        "c": ("it updates the weight, which then becomes a non-leaf with a grad_fn",
              "PyTorch refuses rather than turning a parameter into an intermediate result"),
        "d": ("it raises the version error: a tensor needed for gradient computation was modified",
              "that error comes at backward time; here nothing is waiting to be differentiated"),
    },
    answer="b",
)

update_before_backward = Choice(
    "04.p8 an update before a pending backward",
    "pending = (w * w).sum() saved w. Then w is moved by -0.5 and pending.backward() runs. What do you get "
    "with the update through w.data, and with the update under torch.no_grad()?",
    {
        "a": (".data: the right gradient; no_grad: the right gradient",
              "backward reads the saved w, which both updates changed; only one of them tells you"),
        "b": (".data: a wrong gradient, silently; no_grad: the in-place version error",
              "a no_grad update is an ordinary in-place operation that moves w's version counter; .data's does not"),
        "c": (".data: the in-place version error; no_grad: a wrong gradient, silently",
              "it is the other way round: .data hides the edit from the version counter, no_grad does not"),
        "d": ("both raise the in-place version error",
              ".data has a version counter of its own, so w's counter never moves and the check passes"),
    },
    answer="b",
)

sigmoid_data = Choice(
    "04.p9 the .data fix for sigmoid",
    "s = torch.sigmoid(z); s.data += 1; s.sum().backward(). What is z.grad?",
    {
        "a": ("the right gradient s (1 - s): adding a constant does not change a derivative",
              "true on paper, but backward computes s (1 - s) from the saved output, and that output now holds s + 1"),
        "b": ("the in-place version error, as without .data",
              ".data has a counter of its own: the check passes and the error is gone"),
        "c": ("a wrong gradient, with the wrong sign",
              "backward uses the edited output s + 1: (s + 1)(1 - (s + 1)) = -(s + 1) s, which is negative"),
        "d": ("zeros: the edit cut z off the graph",
              "the graph is intact; only the saved value is wrong"),
    },
    answer="c",
)

set_weights = Choice(
    "04.p10 setting a weight by hand",
    "Which of A, B, C runs and leaves a weight that opt.step() still trains?",
    {
        "a": ("A: lin.weight[0] = torch.tensor([1.0, 2.0])",
              "index assignment is an in-place operation on a leaf that requires grad: it raises outside no_grad"),
        "b": ("B: copy_ under torch.no_grad()",
              "it writes new values into the same tensor: the optimizer, its state and the version counter all follow"),
        "c": ("C: lin.weight = nn.Parameter(...)",
              "it runs, but the optimizer still holds the old tensor and never steps the new one"),
    },
    answer="b",
)

recap = Recap("Recap: four questions on lesson 04", [
    Choice(
        "04.q1 what detach adds over .data",
        "b.detach() and b.data both share b's storage and do not require grad. What does detach() add?",
        {
            "a": ("it shares b's version counter, so in-place edits through it are caught",
                  "that one shared counter is what turns a silent wrong gradient into an error"),
            "b": ("it makes a copy, so edits cannot reach b",
                  "detach() copies nothing; edits through it change b"),
            "c": ("it keeps b's grad_fn, so gradients still flow",
                  "a detached tensor has no grad_fn: no gradient flows through it"),
            "d": ("nothing: the two are the same today",
                  "they differ in the version counter, and that difference decides error or silent corruption"),
        },
        answer="a",
    ),
    Choice(
        "04.q2 when the version check fires",
        "When does autograd raise 'modified by an inplace operation'?",
        {
            "a": ("whenever any tensor in the graph is changed in place",
                  "only tensors saved for backward are checked: editing b before a b.sum() backward is fine"),
            "b": ("when a tensor saved for backward was changed in place, even if no value changed",
                  "the check compares version numbers, never values: add_(0) on a saved tensor raises too"),
            "c": ("only when the edit would change the gradient",
                  "autograd never compares values: add_(0) on a saved tensor raises"),
            "d": ("at the in-place operation itself",
                  "the edit runs; the check happens when backward unpacks the saved tensor"),
        },
        answer="b",
    ),
    Choice(
        "04.q3 a manual update",
        "Which manual update is the modern one?",
        {
            "a": ("p.data -= lr * p.grad",
                  "it gives the same numbers, but hides the update from the version counter"),
            "b": ("p = p - lr * p.grad",
                  "it only rebinds the name p; the parameter is unchanged"),
            "c": ("with torch.no_grad(): p -= lr * p.grad",
                  "it is an in-place update that is not recorded and that moves the version counter, as opt.step() does"),
            "d": ("p -= lr * p.grad",
                  "outside no_grad it raises: a leaf that requires grad is being used in an in-place operation"),
        },
        answer="c",
    ),
    Choice(
        "04.q4 values for NumPy",
        "h is an activation that requires grad. How do you hand its values to NumPy?",
        {
            "a": ("h.numpy()", "NumPy refuses a tensor that requires grad, and the error names the fix"),
            "b": ("h.detach().cpu().numpy()",
                  "detach() leaves the graph without a copy, cpu() is free on a CPU tensor, numpy() shares memory"),
            "c": ("h.requires_grad_(False).numpy()",
                  "requires_grad_ only works on leaves, and would change h itself"),
            "d": ("h.grad.numpy()", "that is the gradient (None here), not the values"),
        },
        answer="b",
    ),
])
