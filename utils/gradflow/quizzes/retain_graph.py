"""Lesson 06's questions: the multiple-choice predictions of the lesson and the recap (06.q1-06.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

second_backward = Choice(
    "06.p1 a second backward through a shared chain",
    "d and e are two outputs of the same chain (c = 2 a**2). We call d.backward(), then e.backward(). "
    "What does the second call do?",
    {
        "a": ("it runs: e is a different output, with a graph of its own",
              "e's path goes through the same PowBackward0 node as d's, and that node's saved a is gone"),
        "b": ("it raises: the first backward freed the tensors the shared nodes saved",
              "backward frees the saved tensors on the path it walked, and e needs them again"),
        "c": ("it runs, and a.grad then holds only e's gradient",
              "backward never replaces .grad; and here it does not even get that far"),
    },
    answer="b",
)

two_heads = Choice(
    "06.p6 one backward or two",
    "Two heads on one trunk: (loss1 + loss2).backward(), or loss1.backward(retain_graph=True) then "
    "loss2.backward(). Gradients and work?",
    {
        "a": ("the same gradients; the two calls walk the trunk twice, so about twice the backward work",
              "gradients are linear and .grad adds them up; but each call walks the shared trunk again"),
        "b": ("the same gradients and the same work",
              "the summed loss meets both heads' gradients at the trunk and walks it once; two calls walk it twice"),
        "c": ("different gradients: the second call overwrites the first in .grad",
              "backward adds into .grad; it never overwrites"),
        "d": ("different gradients: a sum mixes the two losses",
              "the gradient of a sum is the sum of the gradients: nothing is mixed that the two calls keep apart"),
    },
    answer="a",
)

micro_batches = Choice(
    "06.p7 what gradient accumulation needs",
    "A batch is split into k micro-batches, with one backward each and one step at the end. To get the "
    "full-batch gradient of a mean loss, what is needed?",
    {
        "a": ("no retain_graph; divide each micro-batch loss by k",
              "each micro-batch has its own fresh graph, .grad adds up, and the mean of k means needs the 1/k"),
        "b": ("retain_graph=True on every backward but the last; divide each loss by k",
              "nothing is walked twice: every micro-batch builds a graph of its own"),
        "c": ("no retain_graph and nothing else: .grad averages the micro-batches",
              ".grad adds, it does not average: without 1/k you get k times the gradient"),
        "d": ("retain_graph=True, and nothing else",
              "no graph is reused, and the sum of k means is k times the full mean"),
    },
    answer="a",
)

retained_chunks = Choice(
    "06.p9 the graph behind each chunk's loss",
    "With loss.backward(retain_graph=True), the recurrent loop runs. What happens to the graph reachable "
    "from each chunk's loss?",
    {
        "a": ("it grows by one chunk every chunk, and so do the bytes held and the work of each backward",
              "h still links every chunk to the one before, and retain_graph keeps all of it alive"),
        "b": ("it stays the size of one chunk",
              "that needs the link to the previous chunk cut (detach); retain_graph cuts nothing"),
        "c": ("it is freed after every chunk anyway",
              "retain_graph=True is exactly the request not to free it"),
    },
    answer="a",
)

recap = Recap("Recap: four questions on lesson 06", [
    Choice(
        "06.q1 two losses at the same weights",
        "A model computes two losses from one forward pass, at the same weights. The best way to get the "
        "gradient of both?",
        {
            "a": ("loss1.backward(retain_graph=True), then loss2.backward()",
                  "it gives the same gradients, yet walks the shared part of the graph twice"),
            "b": ("(loss1 + loss2).backward()",
                  "one walk through the shared part, and the gradient of a sum is the sum of the gradients"),
            "c": ("loss1.backward(), then loss2.backward()",
                  "the first call frees what the shared nodes saved: the second raises"),
            "d": ("a second forward pass for loss2",
                  "it works, at the cost of a whole extra forward pass for nothing"),
        },
        answer="b",
    ),
    Choice(
        "06.q2 the error on the second chunk",
        "A recurrent loop raises 'Trying to backward through the graph a second time' on its second chunk. "
        "The fix?",
        {
            "a": ("loss.backward(retain_graph=True)",
                  "it silences the error while every chunk's graph stays alive: memory and time grow each chunk"),
            "b": ("detach the carried state at the start of each chunk (every tensor of it, h and c)",
                  "the carried state is what links the chunks: cut it, and each backward walks one chunk"),
            "c": ("opt.zero_grad() before each backward",
                  "zero_grad clears .grad; it does not touch the graph the state carries"),
            "d": ("a new optimizer for every chunk",
                  "the optimizer has nothing to do with the graph behind the hidden state"),
        },
        answer="b",
    ),
    Choice(
        "06.q3 a second gradient after the weights moved",
        "SAM needs the gradient at w, then at w + e. The second backward reuses the first loss with "
        "retain_graph=True. What does it give?",
        {
            "a": ("the gradient at w + e",
                  "the retained graph holds what the forward pass saved at w: it knows nothing of w + e"),
            "b": ("the gradient at w again, or an in-place error when saved weights were changed",
                  "a graph replays its saved tensors; the new weights need a new forward pass"),
            "c": ("always an error",
                  "with nothing saved that the move changed (a single linear layer), it silently replays the old gradient"),
        },
        answer="b",
    ),
    Choice(
        "06.q4 a running total that eats memory",
        "A validation loop does total_loss += loss and memory grows every batch. The fix?",
        {
            "a": ("total_loss += loss.item()",
                  "a Python number holds no graph, so each batch's graph can go"),
            "b": ("loss.backward() after each batch, to free the graph",
                  "it frees the saved tensors, yet computes gradients nobody wants, and the nodes still pile up"),
            "c": ("del loss at the end of each iteration",
                  "total_loss still refers to every batch's graph"),
            "d": ("loss.backward(retain_graph=False)",
                  "that is the default; the problem is the reference held by total_loss, not backward"),
        },
        answer="a",
    ),
])
