"""Lesson 01's questions: the multiple-choice predictions (01.p1, 01.p6-01.p10) and the recap (01.q1-01.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

what_detach_returns = Choice(
    "01.p1 what detach returns",
    "z = 2 * x**2 requires grad. What is p = z.detach()?",
    {
        "a": ("the same values, requires_grad=False, grad_fn None",
              "detach returns z's values outside any graph: no grad_fn, and nothing computed from it is recorded"),
        "b": ("a copy of z with its history: requires_grad=True, grad_fn=MulBackward0",
              "detach keeps the values and drops the history; keeping the grad_fn is what z itself does"),
        "c": ("the same values, requires_grad=True, grad_fn None: a new leaf",
              "a detached tensor does not require grad; you must ask with .requires_grad_() to make it a new leaf"),
        "d": ("a tensor of zeros with z's shape",
              "detach keeps the values; it is the gradient, not the value, that stops at p"),
    },
    answer="a",
)

gan_without_detach = Choice(
    "01.p6 a D step without detach",
    "A D step feeds D the fake batch without detach: zero_grad, loss, backward, opt_D.step(). "
    "Which networks get a .grad, and which does opt_D.step() change?",
    {
        "a": (".grad on D only; only D changes",
              "without detach the D loss has a path through fake into G, so backward fills G's .grad too"),
        "b": (".grad on D and G; only D changes",
              "backward follows every path, into G as well, but opt_D holds D's parameters only"),
        "c": (".grad on D and G; both change",
              "an optimizer steps only the parameters it was given: opt_D never touches G"),
        "d": ("backward raises, because the loss reaches a second network",
              "a graph may span any number of modules; backward simply walks into G"),
    },
    answer="b",
)

memory_of_detach = Choice(
    "01.p7 what a detach saves in memory",
    "Compared with no detach, what does a detach after lin1 do to the bytes the forward pass records "
    "(saves for backward) and the bytes the loss's graph still holds afterwards?",
    {
        "a": ("records fewer bytes, because the layers before the cut are never trained",
              "lin0 and lin1 still require grad, so autograd records them and saves their inputs all the same"),
        "b": ("records and holds the same bytes: detach changes nothing in memory",
              "the loss's graph ends at the cut, so it no longer keeps the pieces before it alive"),
        "c": ("records the same bytes; the loss's graph holds fewer",
              "the part before the cut is recorded, then freed once nothing refers to the un-detached output"),
        "d": ("records fewer bytes and holds the same",
              "it is the other way round: recording is unchanged, and less stays held"),
    },
    answer="c",
)

g_step_error = Choice(
    "01.p8 a G step after a D step without detach",
    "fake = G(noise) is used in both steps; the D step forgot .detach(); the G step passes fake through "
    "the updated D. What happens?",
    {
        "a": ("both steps run, and G trains as usual",
              "the D step's backward went on into G and freed the tensors G's nodes saved"),
        "b": ("the D step's backward raises, because its loss reaches G",
              "a loss may reach any number of networks; the D step runs (and fills G's .grad)"),
        "c": ("the G step's backward raises 'Trying to backward through the graph a second time'",
              "the D step's backward walked through fake into G and freed G's saved tensors; the G step "
              "needs them again"),
        "d": ("the G step's backward raises 'modified by an inplace operation', because opt_D.step() changed D",
              "that error needs a D(fake) computed before opt_D.step(); here D(fake) is computed afresh after it"),
    },
    answer="c",
)

gradient_at_cut = Choice(
    "01.p9 the gradient at a cut",
    "cut = h.detach().requires_grad_(), the rest of the chain starts from cut, then loss.backward(). "
    "What do you find?",
    {
        "a": ("cut.grad is None: a detached tensor never gets a gradient",
              "cut is a new leaf that requires grad, and leaves that require grad keep their .grad"),
        "b": ("cut.grad holds d loss / d h, and h.backward(cut.grad) gives lin0 and lin1 the same gradients "
              "as one backward through the whole chain",
              "cut collects the gradient at the cut; feeding it to h.backward continues the chain rule"),
        "c": ("cut.grad holds that gradient, but lin0 and lin1 can never get theirs from it",
              "detach cuts the graph, not the mathematics: h.backward(cut.grad) carries it on to lin0 and lin1"),
    },
    answer="b",
)

detach_in_place = Choice(
    "01.p10 detach or detach_",
    "h = w * 2 requires grad. Does h still have a grad_fn after h.detach() (result thrown away), "
    "and then after h.detach_()?",
    {
        "a": ("no, and no: both cut h out of the graph",
              "detach() returns a new tensor and leaves h as it was; only the underscore version changes h"),
        "b": ("no after detach(), yes after detach_()",
              "it is the other way round: the underscore marks the in-place version"),
        "c": ("yes, and yes: neither changes h",
              "the trailing underscore means in place: detach_() changes h itself"),
        "d": ("yes after detach(), no after detach_()",
              "detach() returns a new tensor; detach_() turns h itself into a leaf without history"),
    },
    answer="d",
)

recap = Recap("Recap: four questions on lesson 01", [
    Choice(
        "01.q1 stop one middle layer from learning",
        "In lin0 -> lin1 -> lin2 -> lin3, lin2 must stop learning while lin0 and lin1 keep learning. What do you use?",
        {
            "a": ("x = x.detach() right after lin2",
                  "a detach cuts every path to the layers before it: lin0, lin1 and lin2 would all stop"),
            "b": ("lin2.requires_grad_(False)",
                  "a frozen layer gets no gradient, but gradients still flow through it to lin0 and lin1"),
            "c": ("run lin2 under torch.no_grad()",
                  "its output would carry no graph, so nothing before it gets a gradient either"),
            "d": ("x = x.detach() right before lin2",
                  "lin2 would still learn, and lin0 and lin1 would stop: the opposite of the goal"),
        },
        answer="b",
    ),
    Choice(
        "01.q2 a snapshot taken with detach",
        "Before training, you keep snapshot = w.detach() to compare with later. After 100 optimizer steps, "
        "what does snapshot hold?",
        {
            "a": ("w's current values",
                  "detach is a new view of the same storage; a real copy needs detach().clone()"),
            "b": ("w's values from before training",
                  "detach shares storage: the optimizer updates w in place, and snapshot shows the same memory"),
            "c": ("an error on reading it, because w changed",
                  "reading a tensor that shares storage is fine; only a backward that needs an overwritten value complains"),
        },
        answer="a",
    ),
    Choice(
        "01.q3 why the D step detaches the fakes",
        "Why does a GAN's discriminator step use fake.detach()?",
        {
            "a": ("so that D's loss never reaches G: no backward through G, no D gradient in G's .grad, "
                  "and G's graph stays intact for the G step",
                  "the cut keeps the D step's backward inside D"),
            "b": ("otherwise opt_D would update G as well",
                  "opt_D holds D's parameters only; it never moves G"),
            "c": ("to save the memory of G's forward pass",
                  "G's forward was recorded before the detach; detach stops the backward, not the recording"),
            "d": ("to give D a copy of the fakes that it cannot change",
                  "detach shares storage, it copies nothing; and D does not change its inputs"),
        },
        answer="a",
    ),
    Choice(
        "01.q4 a straight-through estimator",
        "q rounds its input. What does y = x + (q(x) - x).detach() give?",
        {
            "a": ("the value q(x), and the gradient of q (zero almost everywhere)",
                  "the detached part sends no gradient: only the bare x term does, so the gradient is 1"),
            "b": ("the value x, and gradient 1",
                  "the detached term still adds its value: x + q(x) - x is q(x)"),
            "c": ("the value q(x), and gradient 1 with respect to x, as if q were not there",
                  "the forward adds the correction q(x) - x; backward sees only the term x"),
            "d": ("an error: a detached tensor cannot be added to one that requires grad",
                  "mixing them is fine; the result requires grad through the x term"),
        },
        answer="c",
    ),
])
