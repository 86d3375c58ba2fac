"""Lesson 03's questions: the multiple-choice predictions (03.p3, 03.p5, 03.p7, 03.p8, 03.p9) and the recap (03.q1-03.q4).

Every wrong option states the misconception it stands for; the notebook asserts the fact itself.
"""

from ..predict import Choice, Recap

eval_records = Choice(
    "03.p3 does an eval model record a graph",
    "The model is in eval mode (model.eval() ran). Does model(x_val) require grad?",
    {
        "a": ("no: eval() switches off gradient recording",
              "eval() only sets training=False on every submodule; autograd never reads that flag"),
        "b": ("yes: eval() changes how dropout and batch norm behave, not autograd",
              "the output still has a grad_fn; only no_grad (or inference_mode) stops the recording"),
        "c": ("no: eval() also sets requires_grad=False on the parameters",
              "eval() touches no parameter flag: every parameter still requires grad"),
        "d": ("only if the model has no dropout layer",
              "dropout's mode changes which values pass, never whether the result is recorded"),
    },
    answer="b",
)

stats_unchanged = Choice(
    "03.p5 which versions leave the statistics alone",
    "Which versions leave batch norm's running statistics unchanged?",
    {
        "a": ("only version 4 (eval and no_grad)",
              "no_grad has no say in it: version 3 (eval only) leaves them alone too"),
        "b": ("versions 2 and 4 (the no_grad ones)",
              "no_grad stops the recording, not the layers: batch norm updates its statistics in a training-mode "
              "forward, graph or no graph"),
        "c": ("versions 3 and 4 (the eval ones)",
              "batch norm writes its running statistics in every training-mode forward; in eval mode it only reads them"),
        "d": ("all four: only backward and the optimizer change a model",
              "the statistics are buffers that the forward pass itself writes in training mode, no backward needed"),
    },
    answer="c",
)

saliency = Choice(
    "03.p7 enable_grad inside a no_grad function",
    "predict_and_explain(model, x_val[:3]) runs after model.zero_grad(). What happens?",
    {
        "a": ("it raises: nothing can be recorded inside a function decorated with @torch.no_grad()",
              "the innermost switch wins: enable_grad inside the function turns recording back on"),
        "b": ("saliency comes out, and the first layer's weight.grad is filled too",
              "torch.autograd.grad returns the gradients it was asked for (the input's) and writes no .grad"),
        "c": ("saliency comes out, and every parameter's .grad stays None",
              "enable_grad records the second forward pass; autograd.grad returns d score / d x without "
              "touching any .grad"),
        "d": ("saliency is all zeros, because the model's output was made under no_grad",
              "the score is recomputed inside enable_grad from a fresh x that requires grad, so it has a graph"),
    },
    answer="c",
)

inference_fails = Choice(
    "03.p8 where the inference tensor fails",
    "The head is trained on cached: logits = head(cached), then F.cross_entropy(logits, y_train).backward(). "
    "What happens?",
    {
        "a": ("the forward pass head(cached) raises",
              "the head must save its input to compute its weight gradient, and an inference tensor cannot be saved"),
        "b": ("backward() raises, when it reaches cached",
              "the check happens earlier: when autograd tries to save the tensor during the forward pass"),
        "c": ("nothing: cached is a plain tensor without a graph, like a no_grad result",
              "an inference tensor has no version counter, so autograd refuses to save it for backward"),
        "d": ("the backbone call inside inference_mode raises",
              "inside inference_mode everything runs; the trouble starts when its result meets autograd"),
    },
    answer="a",
)

backward_inside = Choice(
    "03.p9 backward inside no_grad",
    "loss = (w ** 2).sum() was computed with grad mode on. Then, inside `with torch.no_grad():`, "
    "loss.backward() runs. What happens?",
    {
        "a": ("it raises, because gradients are switched off",
              "no_grad stops the recording of new operations; backward walks a graph recorded before"),
        "b": ("it runs and fills w.grad as usual",
              "the graph was recorded before the block; backward does not need recording to be on"),
        "c": ("it runs but leaves w.grad at zero",
              "backward computes the real gradient; no_grad never zeroes anything"),
    },
    answer="b",
)

recap = Recap("Recap: four questions on lesson 03", [
    Choice(
        "03.q1 parameters inside no_grad",
        "Inside `with torch.no_grad():`, what is layer.weight.requires_grad for an nn.Linear layer?",
        {
            "a": ("True: no_grad changes no existing tensor, only the results of new operations",
                  "grad mode decides whether operations are recorded; the flags of the tensors stay as they were"),
            "b": ("False: no_grad switches every tensor's requires_grad off for the block",
                  "no_grad is a switch on the recording, not a property of tensors; the weight keeps requires_grad=True"),
            "c": ("False, and it stays False after the block",
                  "nothing about the weight changes, inside the block or after it"),
            "d": ("reading it raises inside no_grad",
                  "every attribute can be read as usual inside the block"),
        },
        answer="a",
    ),
    Choice(
        "03.q2 no_grad inside forward",
        "A model runs its second block under `with torch.no_grad():` inside forward. After loss.backward(), which "
        "parameters get a gradient?",
        {
            "a": ("all of them except the second block's",
                  "that is what freezing the block (requires_grad_(False)) does; no_grad cuts the graph"),
            "b": ("only the layers after the block",
                  "the block's output has no grad_fn, so backward cannot reach the block or anything before it"),
            "c": ("all of them: no_grad is ignored during training",
                  "grad mode is read at every operation, in training as anywhere else"),
            "d": ("none: the whole forward pass is unrecorded",
                  "only the operations inside the block are unrecorded; the layers after it build a graph"),
        },
        answer="b",
    ),
    Choice(
        "03.q3 features for a head",
        "Features of a frozen backbone are cached once and a head is trained on them for many epochs. "
        "Which way of computing them works?",
        {
            "a": ("under torch.inference_mode(), the fastest",
                  "inference tensors cannot be saved for backward: the head's forward pass raises"),
            "b": ("under torch.no_grad()",
                  "they are plain tensors without a graph: the head can save them, and nothing is recorded for the backbone"),
            "c": ("under inference_mode, then .clone() inside the same block",
                  "a clone made inside inference mode is an inference tensor too"),
            "d": ("backbone(x) with grad mode on, then .detach()",
                  "it works, but builds and throws away a graph through the backbone: memory and time for nothing"),
        },
        answer="b",
    ),
    Choice(
        "03.q4 restoring the mode",
        "An evaluation helper ends with model.train(). Where does that go wrong?",
        {
            "a": ("nowhere: training always follows evaluation",
                  "a model evaluated before training starts, or a part kept in eval on purpose, is switched to training"),
            "b": ("when the model was in eval mode before the call, or has parts kept in eval mode on purpose",
                  "the helper should put every module back in the mode it found it in, not switch them all to training"),
            "c": ("it raises when the model is already in training mode",
                  "train() on a training model is harmless; the trouble is a model that was not in training mode"),
            "d": ("model.train() re-enables gradients that eval() switched off",
                  "eval() switched off no gradient; train() only flips the layers' training flag"),
        },
        answer="b",
    ),
])
