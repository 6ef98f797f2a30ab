from genai_studio.cli import main

raise SystemExit(main())
