from arbkit.cli.main import main

raise SystemExit(main())
