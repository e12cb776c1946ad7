using System.Collections;
using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace GradGuard.TorchSharp;

/// <summary>
/// A module's pre-hook and post-hook, put on before the passes the monitor collects and taken off after them.
/// TorchSharp's <c>register_forward_(pre_)hook</c> makes a GUID string and a remover at every call, which would cost
/// 1.2 µs and about 350 bytes a module at every collection (measured on a 513-module MLP, where a pass with idle hooks
/// costs 0.08 µs a module more than one without). TorchSharp 0.107 keeps a module's hooks in protected dictionaries,
/// keyed by that string, and its remover takes them out of there; so the hooks are added to those dictionaries under a
/// key made once and removed from them again: a dictionary add and remove each. Removed entries leave their slots free
/// and the next add takes them back, so the hooks keep their place among a user's. Where a module keeps its hooks
/// elsewhere (another TorchSharp), they are registered through the public API every time instead.
/// </summary>
internal sealed class ModuleHooks
{
    private readonly string key = Guid.NewGuid().ToString();
    private readonly (IDictionary Table, Delegate Hook)[]? tables;
    private readonly Func<Action>? register;
    private Action? remove;

    private ModuleHooks((IDictionary, Delegate)[]? tables, Func<Action>? register)
    {
        this.tables = tables;
        this.register = register;
    }

    /// <summary>Hooks that see a one-tensor module's input and output.</summary>
    public static ModuleHooks Typed(nn.Module<Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor> pre, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor> post) =>
        InTables(module, ("pre_hooks", pre), ("post_hooks", post)) ?? Registered(module, pre, post);

    /// <summary>
    /// The same hooks through TorchSharp's public registration, made anew each time they go on: what a TorchSharp that
    /// keeps a module's hooks elsewhere than 0.107's dictionaries gets.
    /// </summary>
    internal static ModuleHooks Registered(nn.Module<Tensor, Tensor> module, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor> pre, Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor> post) =>
        new(null, () =>
        {
            var preRemover = module.register_forward_pre_hook(pre);
            var postRemover = module.register_forward_hook(post);
            return () =>
            {
                preRemover.remove();
                postRemover.remove();
            };
        });

    /// <summary>
    /// The module-level hooks every module with a <c>call()</c> has, for modules of other arities, whose inputs only typed
    /// hooks of their own signature would see: enough to place their calls. Null for a module without <c>call()</c>
    /// (ModuleList and the like).
    /// </summary>
    public static ModuleHooks? ModuleLevel(nn.Module module, Action<nn.Module> pre, Action<nn.Module> post)
    {
        var type = module.GetType();
        var registerPre = type.GetMethod("register_forward_pre_hook", new[] { typeof(Action<nn.Module>) });
        var registerPost = type.GetMethod("register_forward_hook", new[] { typeof(Action<nn.Module>) });
        if (registerPre is null || registerPost is null)
        {
            return null;
        }

        return InTables(module, ("module_pre_hooks", pre), ("module_post_hooks", post)) ?? new ModuleHooks(null, () =>
        {
            var removers = new[] { registerPre.Invoke(module, new object[] { pre })!, registerPost.Invoke(module, new object[] { post })! };
            return () =>
            {
                foreach (object remover in removers)
                {
                    remover.GetType().GetMethod("remove", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)!.Invoke(remover, null);
                }
            };
        });
    }

    public void PutOn()
    {
        if (tables is null)
        {
            remove = register!();
            return;
        }

        foreach (var (table, hook) in tables)
        {
            table.Add(key, hook);
        }
    }

    public void TakeOff()
    {
        if (tables is null)
        {
            remove?.Invoke();
            remove = null;
            return;
        }

        foreach (var (table, _) in tables)
        {
            table.Remove(key);
        }
    }

    /// <summary>The hooks as entries of the module's own hook dictionaries, when it has them under these names and for these hook types; null otherwise.</summary>
    private static ModuleHooks? InTables(nn.Module module, params (string Field, Delegate Hook)[] hooks)
    {
        var tables = new (IDictionary, Delegate)[hooks.Length];
        for (int index = 0; index < hooks.Length; index++)
        {
            if (Table(module, hooks[index].Field) is not { } table || table.GetType().GetGenericArguments() is not [_, var hookType] || !hookType.IsInstanceOfType(hooks[index].Hook))
            {
                return null;
            }

            tables[index] = (table, hooks[index].Hook);
        }

        return new ModuleHooks(tables, null);
    }

    private static IDictionary? Table(nn.Module module, string field)
    {
        for (var type = module.GetType(); type is not null; type = type.BaseType)
        {
            if (type.GetField(field, BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly) is { } found)
            {
                return found.GetValue(module) as IDictionary;
            }
        }

        return null;
    }
}
