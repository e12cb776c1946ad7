namespace GradGuard.TorchSharp; internal static class Placeholder {}
