export default { _base_: ['./swin-t_upernet_ade20k-512.ts'], model: { backbone: { withCp: true } } };
