"""Lesson 05's questions: the multiple-choice predictions of the lesson and the recap (05.q1-05.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

copies_after_step = Choice(
    "05.p1 which copies keep the old values",
    "a_detached = a.detach() and a_cloned = a.clone() (the same for b) were taken before z.backward() and "
    "opt.step(). After the step, which copies still hold the values from before the step?",
    {
        "a": ("both kinds: a copy is a copy",
              "detach() makes no copy of the memory: it is a new view of the same storage, so the in-place "
              "update of the step shows through it"),
        "b": ("only the clones",
              "clone() allocates new memory and copies; detach() shares the parameter's storage, which "
              "opt.step() updates in place"),
        "c": ("only the detached ones, because a clone is still in the graph",
              "being in the graph says nothing about memory: the clone has storage of its own, and the step "
              "updates a and b, not the clones"),
        "d": ("neither: the step moves every tensor made from a and b",
              "the step writes into a's and b's own storage; only tensors that share that storage move"),
    },
    answer="b",
)

gradient_through_clone = Choice(
    "05.p2 a backward that starts at a clone",
    "This time backward starts from z2 = z.clone() instead of from z. What happens to a.grad, b.grad and "
    "the step?",
    {
        "a": ("exactly what happened from z: the same gradients and the same step",
              "a clone is recorded as an operation whose local gradient is 1: backward passes straight through it"),
        "b": ("no gradients reach a and b: a clone is a copy outside the graph",
              "that is detach(); clone() stays in the graph (grad_fn=CloneBackward0)"),
        "c": ("backward raises, because z2 is not a leaf",
              "backward may start from any tensor that requires grad; being a leaf matters only for keeping .grad"),
        "d": ("the gradients double: one path through z, one through the clone",
              "there is one path only, z -> clone -> z2; the clone does not add a second one"),
    },
    answer="a",
)

state_dict_best = Choice(
    "05.p5 what state_dict() kept",
    "best = net.state_dict() is stored after the first step, then 10 more steps run, then "
    "net.load_state_dict(best). What does the model hold afterwards?",
    {
        "a": ("the weights from after the first step",
              "that needs a copy; state_dict() hands back the module's own tensors, not copies"),
        "b": ("the weights from the end of training: best followed the training",
              "state_dict() holds the live tensors (detached, same storage); every step changed them in place, "
              "so loading best copies the current weights onto themselves"),
        "c": ("nothing: load_state_dict raises, because best is out of date",
              "load_state_dict checks names and shapes, never how old the values are, and they match"),
    },
    answer="b",
)

deepcopy_tensors = Choice(
    "05.p6 which deepcopy runs",
    "leaf = torch.tensor([1., 2.], requires_grad=True) and y = leaf * 2. Which of copy.deepcopy(leaf) and "
    "copy.deepcopy(y) run?",
    {
        "a": ("both: deepcopy copies anything",
              "for a tensor with a graph behind it, deepcopy would have to decide what to do with the graph, so "
              "PyTorch refuses"),
        "b": ("only copy.deepcopy(leaf)",
              "a leaf has no graph behind it and copies cleanly; a non-leaf refuses the deepcopy protocol"),
        "c": ("neither: tensors that require grad cannot be copied",
              "requiring grad is no obstacle: the deep copy of a leaf is a new leaf that requires grad"),
    },
    answer="b",
)

deepcopy_model = Choice(
    "05.p7 what a deep-copied model shares",
    "After target = copy.deepcopy(net), do target's parameters share memory with net's, and do they require grad?",
    {
        "a": ("they share memory with net's",
              "deepcopy copies every tensor into new memory; sharing is what state_dict() and detach() do"),
        "b": ("own memory, and they still require grad",
              "deepcopy copies everything, the requires_grad flags included"),
        "c": ("own memory, and they do not require grad",
              "nothing switches requires_grad off on the way: freeze the copy yourself with requires_grad_(False)"),
    },
    answer="b",
)

recap = Recap("Recap: four questions on lesson 05", [
    Choice(
        "05.q1 logging a value to plot later",
        "During training you store a parameter's value every 100 steps, to plot it at the end. Which line "
        "stores a value that later steps cannot change and that holds no graph?",
        {
            "a": ("values.append(p.detach())",
                  "a detached tensor shares the parameter's memory: every stored entry ends as the final value"),
            "b": ("values.append(p.clone())",
                  "the clone keeps its values, but it requires grad and holds a graph node per entry"),
            "c": ("values.append(p.detach().clone())",
                  "own memory and no graph: exactly a value"),
            "d": ("values.append(p.detach().numpy())",
                  "on the CPU .numpy() shares memory with the tensor: the same trap as detach() alone"),
        },
        answer="c",
    ),
    Choice(
        "05.q2 a target made with clone",
        "A loss compares w with a fixed target made as target = w.clone(). What does backward do?",
        {
            "a": ("it treats the target as a constant, because a clone is a copy",
                  "a clone copies the memory, yet stays in the graph: it is not a constant"),
            "b": ("it also sends gradients through the target back to w, so the loss's gradient is wrong",
                  "the path through clone() adds its own share; detach().clone() makes the target fixed"),
            "c": ("it raises, because the target is not a leaf",
                  "non-leaves may appear in any loss; only .grad of a non-leaf is not kept"),
        },
        answer="b",
    ),
    Choice(
        "05.q3 why a detach snapshot says nothing changed",
        "snap = p.detach() is taken, the model trains, and torch.equal(snap, p) is True. Why?",
        {
            "a": ("detach() froze the parameter, so training did not change it",
                  "detach() makes a new tensor; the parameter itself still trains"),
            "b": ("the optimizer updates p in place, and snap is a view of the same memory",
                  "comparing a tensor with a view of its own memory is always equal"),
            "c": ("torch.equal ignores small differences",
                  "torch.equal is exact; the two tensors are simply the same memory"),
            "d": ("the optimizer replaces p with a new tensor each step, and snap follows it",
                  "optimizers never replace a parameter: they write into it in place, which is why the view follows"),
        },
        answer="b",
    ),
    Choice(
        "05.q4 switching off grad on a clone",
        "h2 = h.clone(), with h requiring grad, then h2.requires_grad_(False) raises. What is the fix?",
        {
            "a": ("h2 = h.detach().clone(): the flag can change only on a leaf, and a clone is not one",
                  "a clone is a non-leaf in the graph; detach() first gives a copy outside it"),
            "b": ("call h.requires_grad_(False) first",
                  "h is itself computed from the graph (or a parameter you want to train): the clone is what "
                  "should leave the graph"),
            "c": ("wrap the line in torch.no_grad()",
                  "no_grad stops new operations from being recorded; it does not change flags of a tensor "
                  "already in the graph"),
        },
        answer="a",
    ),
])
