"""Reusable constructs: typed keyword-only props, no context reading. They import eks_scaling (the
domain model), never stacks/ or planner/.

Named cdk_constructs, not constructs: a package called `constructs` would shadow the `constructs`
library that aws-cdk-lib imports.
"""
