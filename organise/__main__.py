from organise.cli import main

main()
