"""The union tree's bulk import (组织树导入): a file checked whole, then run as a job.
It sits above ``orgs`` and ``jobs``, which both stay free of it."""
