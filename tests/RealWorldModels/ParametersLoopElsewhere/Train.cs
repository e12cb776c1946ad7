// expect: none
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RealWorld.ParametersLoopElsewhere;

public static class Train
{
    public static void Run()
    {
        var policy = PolicyFactory.Create(8, 4);
        using (no_grad())
        {
            foreach (var (name, parameter) in policy.named_parameters())
            {
                if (name.EndsWith("bias"))
                {
                    init.zeros_(parameter);
                }
                else
                {
                    init.kaiming_normal_(parameter, nonlinearity: init.NonlinearityType.ReLU);
                }
            }
        }

        var optimizer = optim.Adam(policy.parameters(), 3e-4);
        optimizer.zero_grad();
    }
}
