"""Lesson 08's questions: three predictions in the lesson (08.p1, 08.p3, 08.p7) and the recap
(08.q1-08.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

vector_backward = Choice(
    "08.p1 backward on two outputs",
    "n holds two numbers, n = [m0^2, m1^3], and requires grad. What does n.backward() do?",
    {
        "a": ("it fills m.grad with the gradient of n0 + n1",
              "that is what n.sum().backward() does; backward() alone will not choose the sum for you"),
        "b": ("it fills m.grad with the 2 x 2 Jacobian",
              ".grad always has the shape of the tensor it belongs to; backward never builds a Jacobian"),
        "c": ("it raises an error: a gradient can be created implicitly only for a scalar output",
              "backward starts from d out / d out = 1, which exists only for one number; for two you must say "
              "how much each counts"),
        "d": ("it uses the first output only",
              "PyTorch never picks an output for you"),
    },
    answer="c",
)

flat_gradient = Choice(
    "08.p3 a flat gradient",
    "The output has shape (1, 2). Does backward(gradient=torch.tensor([1.0, 1.0])), shape (2,), work?",
    {
        "a": ("no: it raises 'Mismatch in shape'; gradient must have the output's exact shape",
              "v holds one weight per output element, laid out exactly like the output"),
        "b": ("yes: it broadcasts like arithmetic does",
              "gradient is never broadcast, not even a scalar 1.0"),
        "c": ("yes, but m.grad comes out with shape (2,)",
              "when backward runs, .grad always has its tensor's shape; here it does not run"),
        "d": ("yes: only the number of elements has to match",
              "the shapes are compared, not the element counts"),
    },
    answer="a",
)

loop_or_vectorised = Choice(
    "08.p7 the loop against the vectorised call",
    "A network with 4 inputs and k = 3 outputs. How many backward passes do the loop of "
    "torch.autograd.functional.jacobian and jacrev make, and which needs more FLOPs?",
    {
        "a": ("3 and 3, the same FLOPs",
              "jacrev batches the one-hot vectors: a single backward pass carries all of them"),
        "b": ("3 and 1, and jacrev needs fewer FLOPs",
              "the batched pass multiplies a 3-row matrix where the loop multiplied three single rows: "
              "the same arithmetic"),
        "c": ("3 and 1, the same FLOPs",
              "one pass instead of k, the same arithmetic: what jacrev saves is the per-pass overhead"),
        "d": ("1 and 1: functional.jacobian is vectorised too",
              "functional.jacobian loops over the rows unless you pass vectorize=True"),
    },
    answer="c",
)

recap = Recap("Recap: four questions on lesson 08", [
    Choice(
        "08.q1 the shape of x.grad",
        "x has shape (5,), y = f(x) has shape (3,), and you call y.backward(gradient=v). What shape has x.grad?",
        {
            "a": ("(5,), like x",
                  ".grad always has the shape of its tensor: the weighted sum of J's rows"),
            "b": ("(3, 5), the Jacobian",
                  "backward computes v^T J, one number per input; it never builds J"),
            "c": ("(3,), like v",
                  "v is shaped like the output; the result is shaped like the input"),
            "d": ("(5, 3), the Jacobian transposed",
                  "no matrix comes out of backward, only one vector-Jacobian product"),
        },
        answer="a",
    ),
    Choice(
        "08.q2 a one-hot gradient",
        "You call y.backward(gradient=e_i), with a 1 at position i and 0 elsewhere. What lands in x.grad?",
        {
            "a": ("column i of J: the derivatives with respect to input i",
                  "the one-hot vector selects an output, not an input"),
            "b": ("row i of J: the gradient of output i with respect to every input",
                  "v^T J with a one-hot v picks row i; rows are outputs"),
            "c": ("the single entry J[i, i]",
                  "x.grad has an entry for every input, so it holds a whole row"),
            "d": ("the sum of all of J's entries",
                  "that would need v of all ones and a sum over the inputs too"),
        },
        answer="b",
    ),
    Choice(
        "08.q3 rows that add up",
        "A loop builds J row by row with y.backward(one_hot, retain_graph=True) and never clears x.grad. "
        "What comes out?",
        {
            "a": ("an error on the second backward",
                  "retain_graph=True keeps the graph, so every backward runs"),
            "b": ("zeros after the first row",
                  "nothing is zeroed unless you zero it"),
            "c": ("the right Jacobian: backward overwrites .grad",
                  "backward never overwrites .grad; it accumulates"),
            "d": ("each row is the running sum of the rows so far",
                  "backward adds into .grad: clear it per row, or use torch.autograd.grad, which writes no .grad"),
        },
        answer="d",
    ),
    Choice(
        "08.q4 per-sample Jacobians",
        "net maps a batch (B, in) to (B, out). You want one (out, in) Jacobian per sample. Which call?",
        {
            "a": ("jacrev(net)(x)",
                  "that differentiates every output by every input across the batch: (B, out, B, in), mostly zeros"),
            "b": ("net(x).backward(torch.ones(B, out))",
                  "that gives one vector per input sample, the gradient of the sum of all outputs, not a Jacobian"),
            "c": ("vmap(jacrev(f_one))(x), with f_one written for one sample",
                  "vmap runs the one-sample Jacobian over the batch: (B, out, in), and no wasted blocks"),
            "d": ("jacrev(net)(x).sum(0)",
                  "summing over the output batch mixes samples and still leaves the input batch dimension"),
        },
        answer="c",
    ),
])
