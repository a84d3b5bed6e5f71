-- A three-minute execution, played 60 times faster than real time.
return {
  key = "bench-key",
  speed = 60,
  workflows = {
    { id = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", name = "Three minutes", rate_limit = 1000,
      pending = 20, steps = { { name = "Text to Image", seconds = 60 }, { name = "Image Upscaler", seconds = 70 },
        { name = "Face Restore", seconds = 30 } } },
  },
  executions = {
    { id = 1, workflow = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42" },
    { id = 2, workflow = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42" },
  },
}
