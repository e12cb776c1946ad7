namespace GradGuard.Tests.Shared;

/// <summary>What the analyzer tests put in front of each TorchSharp program they hold as a string.</summary>
internal static class TorchSharpTestSource
{
    /// <summary>The usings every test program starts with, as TorchSharp's own samples write them.</summary>
    public const string Usings = """
        using System;
        using System.Collections.Generic;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        """;
}
